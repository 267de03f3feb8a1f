"""How the workers, `canary deploy` and `canary load` reach the Zeebe gateway over gRPC."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from workers.errors import ConfigError
from workers.settings.auth import CamundaAuth
from workers.settings.cluster import SaasCluster, check_tenant_id, read_ca_certificate_path
from workers.settings.read import first, parse_bool

DEFAULT_ZEEBE_ADDRESS = "localhost:26500"


@dataclass(frozen=True, slots=True)
class ZeebeSettings:
    """How the workers, `canary deploy` and `canary load` reach the Zeebe gateway over gRPC.

    - Plaintext, no auth: ``ZEEBE_ADDRESS=localhost:26500`` (or ``ZEEBE_GRPC_ADDRESS``).
    - TLS: ``https://host:port`` or ``grpcs://``; a private CA via
      ``CAMUNDA_CUSTOM_ROOT_CERT_PATH`` (or ``ZEEBE_CA_CERTIFICATE_PATH``).
    - Basic or OAuth (see `CamundaAuth`): sent as call credentials, over TLS; an address
      without a scheme means TLS then. Over plaintext only with CAMUNDA_SECURE_CONNECTION=false,
      so a secret never crosses the network in clear by accident.
    - Camunda SaaS: ``CAMUNDA_CLUSTER_ID`` (+ ``CAMUNDA_CLUSTER_REGION``, default bru-2) with
      the client id and secret, as in the credentials file Console hands out.
    """

    #: host:port of the gateway (for SaaS: derived from cluster id and region).
    address: str = DEFAULT_ZEEBE_ADDRESS
    tls: bool = False
    auth: CamundaAuth = field(default_factory=CamundaAuth)
    ca_certificate_path: str | None = None
    saas: SaasCluster | None = None
    #: Set: deployments and new instances belong to this tenant.
    tenant_id: str | None = None
    #: The tenants the workers activate jobs for (empty: the gateway's default).
    worker_tenant_ids: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, address: str | None = None) -> "ZeebeSettings":
        """`address` (an `--address` flag) wins over ZEEBE_ADDRESS, in the same forms."""
        saas = SaasCluster.from_env(environ)
        auth = CamundaAuth.from_env(environ, saas=saas is not None)
        secure_text = first(environ, "CAMUNDA_SECURE_CONNECTION")
        secure = None
        if secure_text is not None:
            secure = parse_bool(secure_text, name="CAMUNDA_SECURE_CONNECTION")
        raw = address or _grpc_address(environ)
        if saas is not None:
            address, tls = saas.grpc_address, True
            if raw is not None and _parse_grpc_address(raw)[0].rsplit(":", 1)[0] != address[:-4]:
                msg = f"ZEEBE_ADDRESS={raw!r} is not CAMUNDA_CLUSTER_ID's gateway ({address})"
                raise ConfigError(msg)
            if secure is False:
                msg = "Camunda SaaS (CAMUNDA_CLUSTER_ID) needs TLS: unset CAMUNDA_SECURE_CONNECTION"
                raise ConfigError(msg)
        else:
            address, scheme_tls = _parse_grpc_address(raw or DEFAULT_ZEEBE_ADDRESS)
            if scheme_tls is not None and secure is not None and scheme_tls != secure:
                msg = f"ZEEBE_ADDRESS={raw!r} contradicts CAMUNDA_SECURE_CONNECTION={secure_text}"
                raise ConfigError(msg)
            tls = next(t for t in (scheme_tls, secure, auth.strategy != "none") if t is not None)
            if not tls and auth.strategy != "none" and secure is not False:
                msg = (
                    f"{auth.strategy} auth over plaintext ({raw}) would send the credentials in"
                    " clear: use https://, or set CAMUNDA_SECURE_CONNECTION=false to allow it"
                )
                raise ConfigError(msg)
        ca_path = read_ca_certificate_path(environ)
        if ca_path and not tls:
            msg = "a private CA (CAMUNDA_CUSTOM_ROOT_CERT_PATH) needs a TLS address (https://host:port)"
            raise ConfigError(msg)
        tenant = first(environ, "CAMUNDA_TENANT_ID")
        tenant = check_tenant_id(tenant, name="CAMUNDA_TENANT_ID") if tenant else None
        listed = first(environ, "CANARY_WORKER_TENANT_IDS")
        workers = (
            tuple(
                check_tenant_id(t.strip(), name="CANARY_WORKER_TENANT_IDS")
                for t in listed.split(",")
                if t.strip()
            )
            if listed
            else ((tenant,) if tenant else ())
        )
        return cls(
            address=address,
            tls=tls,
            auth=auth,
            ca_certificate_path=ca_path,
            saas=saas,
            tenant_id=tenant,
            worker_tenant_ids=workers,
        )


def _grpc_address(environ: Mapping[str, str]) -> str | None:
    """ZEEBE_ADDRESS (pyzeebe, zbctl) or ZEEBE_GRPC_ADDRESS (Camunda's Node SDK); two
    different values are refused rather than one silently winning."""
    plain = first(environ, "ZEEBE_ADDRESS")
    node = first(environ, "ZEEBE_GRPC_ADDRESS")
    if plain and node and plain != node:
        msg = f"ZEEBE_ADDRESS={plain!r} and ZEEBE_GRPC_ADDRESS={node!r} disagree: set one"
        raise ConfigError(msg)
    return plain or node


_GRPC_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>[A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\])(?::(?P<port>\d{1,5}))?/?$"
)


def _parse_grpc_address(raw: str) -> tuple[str, bool | None]:
    """``host:port`` and whether the scheme asks for TLS (None: no scheme given)."""
    match = _GRPC_ADDRESS.match(raw)
    if match is None:
        msg = f"ZEEBE_ADDRESS={raw!r} is not host:port (or http(s)://host:port)"
        raise ConfigError(msg)
    scheme = match.group("scheme")
    if scheme not in (None, "http", "grpc", "https", "grpcs"):
        msg = f"ZEEBE_ADDRESS scheme {scheme!r} is not http, https, grpc or grpcs"
        raise ConfigError(msg)
    tls = None if scheme is None else scheme in ("https", "grpcs")
    port = match.group("port") or ("443" if tls else "26500")
    if not 0 < int(port) < 65536:
        msg = f"ZEEBE_ADDRESS port {port} is out of range"
        raise ConfigError(msg)
    return f"{match.group('host')}:{port}", tls
