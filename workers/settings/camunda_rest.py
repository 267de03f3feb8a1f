"""How to reach the Camunda 8 REST API (v2)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from workers.errors import ConfigError
from workers.settings.auth import CamundaAuth
from workers.settings.cluster import SaasCluster, check_tenant_id, read_ca_certificate_path
from workers.settings.read import first, name_of, positive_duration

DEFAULT_REST_ADDRESS = "http://localhost:8080"


def camunda_rest_address(url: str, *, name: str = "CAMUNDA_REST_ADDRESS") -> str:
    """The REST API base URL ending in ``/v2``; ``http://host:8080`` and ``.../v2`` both work."""
    text = url.strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        msg = f"{name} must be an http:// or https:// URL"
        raise ConfigError(msg)
    return text if text.endswith("/v2") else f"{text}/v2"


@dataclass(frozen=True, slots=True)
class CamundaRestSettings:
    """How to reach the Camunda 8 REST API (v2): a real cluster or the dev engine alike.

    The same variables as the gRPC side (`ZeebeSettings`), read the same way: with Console's
    SaaS variables the address, token URL and audience default to the cluster's.
    The URL's scheme decides TLS here; a private CA comes from CAMUNDA_CUSTOM_ROOT_CERT_PATH
    (or ZEEBE_CA_CERTIFICATE_PATH).
    """

    #: Base URL ending in /v2, e.g. http://localhost:8080/v2.
    address: str = f"{DEFAULT_REST_ADDRESS}/v2"
    auth: CamundaAuth = field(default_factory=CamundaAuth)
    ca_certificate_path: str | None = None
    #: Set: every search is filtered to this tenant.
    tenant_id: str | None = None
    #: Whole-request timeout in seconds.
    timeout: float = 10.0

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], *, address: str | None = None
    ) -> "CamundaRestSettings":
        """`address` (a `--rest-address` flag) wins over CAMUNDA_REST_ADDRESS."""
        saas = SaasCluster.from_env(environ)
        if address is not None:
            address = camunda_rest_address(address, name="--rest-address")
        else:
            names = ("CAMUNDA_REST_ADDRESS", "ZEEBE_REST_ADDRESS")
            raw = first(environ, *names) or (saas.rest_address if saas else DEFAULT_REST_ADDRESS)
            address = camunda_rest_address(raw, name=name_of(environ, *names))
        ca_path = read_ca_certificate_path(environ)
        if ca_path and not address.startswith("https://"):
            msg = "a private CA (CAMUNDA_CUSTOM_ROOT_CERT_PATH) needs an https:// REST address"
            raise ConfigError(msg)
        tenant = first(environ, "CAMUNDA_TENANT_ID")
        return cls(
            address=address,
            auth=CamundaAuth.from_env(environ, saas=saas is not None),
            ca_certificate_path=ca_path,
            tenant_id=check_tenant_id(tenant, name="CAMUNDA_TENANT_ID") if tenant else None,
            timeout=positive_duration(environ, "CAMUNDA_REST_TIMEOUT", cls().timeout),
        )
