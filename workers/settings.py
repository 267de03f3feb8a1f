"""Configuration: the one module that reads environment variables.

Each section is a frozen dataclass whose field defaults are the documented defaults, so code
that needs settings of its own (the demo, tests) builds them directly; ``from_env(environ)``
reads the variables that are set over those defaults. A command builds only the sections it
needs, so a malformed variable for the v2 client never stops `canary rate show`. Flags given
on the command line are passed to ``from_env`` as keyword overrides, never as forged
environment entries.
Every variable is listed in the README's configuration table; `ENVIRONMENT_VARIABLES` is the
machine-readable list the compose-file check compares against.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from workers import process
from workers.durations import duration_seconds
from workers.errors import ConfigError
from workers.routing import Version, parse_version

#: The local server `make postgres` starts; the demo and the tests fall back to it too.
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_VERIFYMENOW_URL = "http://127.0.0.1:8090"
DEFAULT_ROLLOUT = process.MODEL_ROLLOUT
DEFAULT_SUBJECT_VARIABLE = process.APPLICANT_ID

_ROLLOUT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def parse_duration(text: str, *, name: str) -> float:
    """``"30"``, ``"30s"``, ``"250ms"``, ``"5m"``, ``"1h"`` -> seconds (`workers.durations`)."""
    seconds = duration_seconds(text)
    if seconds is None:
        msg = f"{name}={text!r} is not a duration (examples: 30s, 250ms, 5m)"
        raise ConfigError(msg)
    return seconds


def parse_bool(text: str, *, name: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    msg = f"{name}={text!r} is not a boolean (true/false)"
    raise ConfigError(msg)


def check_rollout_name(name: str) -> str:
    """Rollout names are short lowercase identifiers (the database enforces the same)."""
    if not _ROLLOUT_NAME.match(name):
        msg = f"rollout name {name!r} is invalid: use lowercase letters, digits, '.', '_', '-'"
        raise ConfigError(msg)
    return name


def _get(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "").strip()
    return value or default


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    return parse_duration(text, name=name) if text else default


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    #: libpq connection URL of the rollout store.
    url: str = DEFAULT_DATABASE_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "DatabaseSettings":
        return cls.from_url(_get(environ, "DATABASE_URL", DEFAULT_DATABASE_URL))

    @classmethod
    def from_env_if_set(cls, environ: Mapping[str, str]) -> "DatabaseSettings | None":
        """DATABASE_URL's settings when it is set, else None (the demo then finds a server)."""
        url = environ.get("DATABASE_URL", "").strip()
        return cls.from_url(url) if url else None

    @classmethod
    def from_url(cls, url: str) -> "DatabaseSettings":
        """A URL given on the command line, checked as DATABASE_URL is."""
        if not url.startswith(("postgresql://", "postgres://")):
            msg = "DATABASE_URL must be a postgresql:// URL"
            raise ConfigError(msg)
        return cls(url=url)


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    #: Which rollout row the choose-version worker follows.
    rollout: str = DEFAULT_ROLLOUT
    #: Process variable holding the stable subject key (else the process instance key).
    subject_variable: str = DEFAULT_SUBJECT_VARIABLE
    #: How long the last known config may be used while Postgres is unreachable.
    max_config_age: float = 300.0
    #: Safety-net reload period, on top of LISTEN/NOTIFY.
    refresh_interval: float = 30.0
    #: The version every instance gets once the config is older than `max_config_age`.
    fallback_version: Version = 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RoutingSettings":
        default = cls()
        max_age = _seconds(environ, "CANARY_CONFIG_MAX_AGE", default.max_config_age)
        refresh = _seconds(environ, "CANARY_CONFIG_REFRESH", default.refresh_interval)
        if refresh <= 0:
            msg = "CANARY_CONFIG_REFRESH must be greater than 0"
            raise ConfigError(msg)
        if max_age <= refresh:
            # Otherwise a healthy worker would flap to the fallback between two refreshes.
            msg = "CANARY_CONFIG_MAX_AGE must be longer than CANARY_CONFIG_REFRESH"
            raise ConfigError(msg)
        fallback_text = _get(environ, "CANARY_FALLBACK_VERSION", str(default.fallback_version))
        try:
            fallback = parse_version(fallback_text)
        except ValueError:
            msg = f"CANARY_FALLBACK_VERSION={fallback_text!r} must be 1 or 2"
            raise ConfigError(msg) from None
        subject_variable = _get(environ, "CANARY_SUBJECT_VARIABLE", default.subject_variable)
        if not subject_variable.isidentifier():
            msg = f"CANARY_SUBJECT_VARIABLE={subject_variable!r} is not a variable name"
            raise ConfigError(msg)
        return cls(
            rollout=check_rollout_name(_get(environ, "CANARY_ROLLOUT", default.rollout)),
            subject_variable=subject_variable,
            max_config_age=max_age,
            refresh_interval=refresh,
            fallback_version=fallback,
        )


@dataclass(frozen=True, slots=True)
class VerifyMeNowSettings:
    #: Base URL of the provider's v1 API (the client appends /v1/...).
    v1_url: str = DEFAULT_VERIFYMENOW_URL
    #: Base URL of the provider's v2 API (the client appends /v2/...).
    v2_url: str = DEFAULT_VERIFYMENOW_URL
    #: Whole-request timeout in seconds; well below the job timeout.
    request_timeout: float = 5.0
    #: Sent as a bearer token when set; never logged.
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "VerifyMeNowSettings":
        urls = {}
        for name in ("VERIFYMENOW_V1_URL", "VERIFYMENOW_V2_URL"):
            url = _get(environ, name, DEFAULT_VERIFYMENOW_URL)
            if not url.startswith(("http://", "https://")):
                msg = f"{name} must be an http:// or https:// URL"
                raise ConfigError(msg)
            urls[name] = url.rstrip("/")
        timeout = _seconds(environ, "VERIFYMENOW_TIMEOUT", cls().request_timeout)
        if not math.isfinite(timeout) or timeout <= 0:
            msg = "VERIFYMENOW_TIMEOUT must be greater than 0"
            raise ConfigError(msg)
        return cls(
            v1_url=urls["VERIFYMENOW_V1_URL"],
            v2_url=urls["VERIFYMENOW_V2_URL"],
            request_timeout=timeout,
            api_key=environ.get("VERIFYMENOW_API_KEY") or None,
        )


LogFormat = Literal["auto", "json", "console"]


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    #: json for machines, console for people, auto = json unless stderr is a terminal.
    format: LogFormat = "auto"
    level: str = "info"
    #: Keys whose values are redacted wherever they appear in a log event, on top of the
    #: built-in list of personal-data keys.
    redact_keys: frozenset[str] = frozenset()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], *, default_level: str = "info"
    ) -> "LoggingSettings":
        """`default_level` is the command's own (one-shot commands show warnings only);
        CANARY_LOG_LEVEL wins over it."""
        fmt = _get(environ, "CANARY_LOG_FORMAT", "auto").lower()
        if fmt not in ("auto", "json", "console"):
            msg = f"CANARY_LOG_FORMAT={fmt!r} must be auto, json or console"
            raise ConfigError(msg)
        level = _get(environ, "CANARY_LOG_LEVEL", default_level).lower()
        if level not in ("debug", "info", "warning", "error"):
            msg = f"CANARY_LOG_LEVEL={level!r} must be debug, info, warning or error"
            raise ConfigError(msg)
        extra = _get(environ, "CANARY_REDACT_KEYS", "")
        keys = frozenset(k.strip() for k in extra.split(",") if k.strip())
        return cls(format=fmt, level=level, redact_keys=keys)  # type: ignore[arg-type]


def default_actor(environ: Mapping[str, str], *, login: str, hostname: str) -> str:
    """Who a change is recorded as when `--by` is not given: CANARY_ACTOR, else user@host."""
    explicit = environ.get("CANARY_ACTOR", "").strip()
    if explicit:
        return explicit
    user = environ.get("USER") or environ.get("LOGNAME") or login
    return f"{user}@{hostname}"


def _positive_int(environ: Mapping[str, str], name: str, default: int, *, maximum: int) -> int:
    """A whole number in 1..`maximum`: a value past the range is a typo, refused at start
    (CANARY_MAX_JOBS=5000000000 once overflowed protobuf's int32 in every poll)."""
    text = _get(environ, name, str(default))
    if not (text.isascii() and text.isdigit()):
        msg = f"{name}={text!r} is not a whole number"
        raise ConfigError(msg)
    value = int(text)
    if not 1 <= value <= maximum:
        msg = f"{name}={text} is out of range (1 to {maximum:,})"
        raise ConfigError(msg)
    return value


def _bounded_duration(
    environ: Mapping[str, str], name: str, default: float, *, maximum: float
) -> float:
    value = _seconds(environ, name, default)
    if value > maximum:
        msg = f"{name} must be at most {maximum:g} s"
        raise ConfigError(msg)
    return value


def _positive_duration(environ: Mapping[str, str], name: str, default: float) -> float:
    value = _seconds(environ, name, default)
    if not math.isfinite(value) or value <= 0:
        msg = f"{name} must be greater than 0"
        raise ConfigError(msg)
    return value


@dataclass(frozen=True, slots=True)
class RecorderSettings:
    """The outcome recorder: a bounded in-memory buffer written to Postgres in batches."""

    #: Records held while Postgres is slow or down; past it records are counted and dropped.
    buffer_size: int = 100_000
    #: Rows written per batch (one COPY per table, one transaction). Fewer, larger batches
    #: spread a commit and the counting triggers' per-batch work over more rows: 5 000 wrote
    #: about 1.5 times as fast as 1 000 (bench/recorder_throughput.py, docs/benchmarks.md).
    batch_size: int = 5_000
    #: Longest a record waits in memory before a write is attempted.
    flush_interval: float = 1.0
    #: How long stopping may take to write what is left.
    stop_timeout: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RecorderSettings":
        default = cls()
        buffer_size = _positive_int(
            environ, "CANARY_RECORDER_BUFFER_SIZE", default.buffer_size, maximum=10_000_000
        )
        batch_size = _positive_int(
            environ, "CANARY_RECORDER_BATCH_SIZE", default.batch_size, maximum=100_000
        )
        if batch_size > buffer_size:
            msg = "CANARY_RECORDER_BATCH_SIZE must not exceed CANARY_RECORDER_BUFFER_SIZE"
            raise ConfigError(msg)
        return cls(
            buffer_size=buffer_size,
            batch_size=batch_size,
            flush_interval=_positive_duration(
                environ, "CANARY_RECORDER_FLUSH_INTERVAL", default.flush_interval
            ),
            stop_timeout=_positive_duration(
                environ, "CANARY_RECORDER_STOP_TIMEOUT", default.stop_timeout
            ),
        )


AuthStrategy = Literal["none", "basic", "oauth"]
AUTH_STRATEGIES: tuple[AuthStrategy, ...] = ("none", "basic", "oauth")
DEFAULT_ZEEBE_ADDRESS = "localhost:26500"
DEFAULT_REST_ADDRESS = "http://localhost:8080"
SAAS_OAUTH_URL = "https://login.cloud.camunda.io/oauth/token"
SAAS_AUDIENCE = "zeebe.camunda.io"
DEFAULT_SAAS_REGION = "bru-2"
# Camunda's tenant ids: letters, digits, '_', '.', '-', at most 31 characters, or <default>.
_TENANT_ID = re.compile(r"^(?:<default>|[\w.-]{1,31})$")


def _first(environ: Mapping[str, str], *names: str) -> str | None:
    """The first of several alias variables that is set: CAMUNDA_* names come before ZEEBE_*
    ones everywhere, the order pyzeebe and Camunda's Python SDK use."""
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def _name_of(environ: Mapping[str, str], *names: str) -> str:
    """Which alias the user set (for messages), else the first one."""
    return next((n for n in names if environ.get(n, "").strip()), names[0])


@dataclass(frozen=True, slots=True, repr=False)
class CamundaAuth:
    """How a client proves who it is to Camunda, the same for gRPC and REST.

    `none` (a local cluster with the unprotected API), `basic` (self-managed default since
    8.8: user and password on every call) or `oauth` (client credentials: a bearer token from
    the token endpoint, SaaS and self-managed with Keycloak or another identity provider).
    """

    strategy: AuthStrategy = "none"
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    #: Token endpoint for the client-credentials grant.
    oauth_url: str | None = None
    audience: str | None = None
    scope: str | None = None

    def __repr__(self) -> str:  # secrets never appear in logs or tracebacks
        return (
            f"CamundaAuth(strategy={self.strategy!r}, username={self.username!r},"
            f" client_id={self.client_id!r}, oauth_url={self.oauth_url!r},"
            f" audience={self.audience!r})"
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be shown (for scrubbing messages)."""
        return tuple(s for s in (self.password, self.client_secret) if s)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, saas: bool = False) -> "CamundaAuth":
        client_id = _first(environ, "CAMUNDA_CLIENT_ID", "ZEEBE_CLIENT_ID")
        client_secret = _first(environ, "CAMUNDA_CLIENT_SECRET", "ZEEBE_CLIENT_SECRET")
        username = _first(environ, "CAMUNDA_BASIC_AUTH_USERNAME")
        password = environ.get("CAMUNDA_BASIC_AUTH_PASSWORD") or None
        oauth_names = ("CAMUNDA_OAUTH_URL", "ZEEBE_AUTHORIZATION_SERVER_URL")
        oauth_url = _first(environ, *oauth_names)
        strategy = _auth_strategy(
            environ, oauth=bool(client_id or client_secret), basic=bool(username or password),
            saas=saas,
        )  # fmt: skip
        if strategy == "basic" and not (username and password):
            msg = "basic auth needs CAMUNDA_BASIC_AUTH_USERNAME and CAMUNDA_BASIC_AUTH_PASSWORD"
            raise ConfigError(msg)
        if strategy == "oauth":
            if not (client_id and client_secret):
                msg = "OAuth needs CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET (or ZEEBE_*), both"
                raise ConfigError(msg)
            oauth_url = oauth_url or (SAAS_OAUTH_URL if saas else None)
            if not oauth_url:
                msg = "OAuth needs a token URL: set CAMUNDA_OAUTH_URL"
                raise ConfigError(msg)
            if not oauth_url.startswith(("http://", "https://")):
                msg = f"{_name_of(environ, *oauth_names)} must be an http:// or https:// URL"
                raise ConfigError(msg)
        audience = _first(environ, "CAMUNDA_TOKEN_AUDIENCE", "ZEEBE_TOKEN_AUDIENCE")
        return cls(
            strategy=strategy,
            username=username,
            password=password,
            client_id=client_id if strategy == "oauth" else None,
            client_secret=client_secret if strategy == "oauth" else None,
            oauth_url=oauth_url if strategy == "oauth" else None,
            audience=audience or (SAAS_AUDIENCE if saas else None),
            scope=_first(environ, "CAMUNDA_TOKEN_SCOPE"),
        )


def _auth_strategy(
    environ: Mapping[str, str], *, oauth: bool, basic: bool, saas: bool
) -> AuthStrategy:
    """CAMUNDA_AUTH_STRATEGY, else what the credentials present say; contradictions refused."""
    explicit = (_first(environ, "CAMUNDA_AUTH_STRATEGY") or "").lower()
    if explicit and explicit not in AUTH_STRATEGIES:
        msg = f"CAMUNDA_AUTH_STRATEGY={explicit!r} must be NONE, BASIC or OAUTH"
        raise ConfigError(msg)
    if not explicit and oauth and basic:
        msg = (
            "both OAuth client credentials and a basic-auth user are set:"
            " choose one with CAMUNDA_AUTH_STRATEGY=oauth or basic"
        )
        raise ConfigError(msg)
    strategy: AuthStrategy = "oauth" if oauth or saas else "basic" if basic else "none"
    for known in AUTH_STRATEGIES:
        if explicit == known:
            strategy = known
    if saas and (strategy != "oauth" or basic):
        used = "basic auth" if basic else f"CAMUNDA_AUTH_STRATEGY={strategy}"
        msg = f"Camunda SaaS (CAMUNDA_CLUSTER_ID) needs OAuth client credentials, not {used}"
        raise ConfigError(msg)
    clash = None
    if strategy != "oauth" and oauth:
        clash = _name_of(environ, "CAMUNDA_CLIENT_ID", "ZEEBE_CLIENT_ID", "CAMUNDA_CLIENT_SECRET")
    if strategy != "basic" and basic:
        clash = _name_of(environ, "CAMUNDA_BASIC_AUTH_USERNAME", "CAMUNDA_BASIC_AUTH_PASSWORD")
    if clash:
        msg = f"CAMUNDA_AUTH_STRATEGY={strategy} contradicts {clash}: unset one of them"
        raise ConfigError(msg)
    return strategy


def _tenant_id(value: str, *, name: str) -> str:
    if not _TENANT_ID.match(value):
        msg = f"{name}={value!r} is not a tenant id (letters, digits, '_', '.', '-'; 31 at most)"
        raise ConfigError(msg)
    return value


def _ca_certificate_path(environ: Mapping[str, str]) -> str | None:
    return _first(environ, "CAMUNDA_CUSTOM_ROOT_CERT_PATH", "ZEEBE_CA_CERTIFICATE_PATH")


@dataclass(frozen=True, slots=True)
class SaasCluster:
    """A Camunda SaaS cluster, as Console's credentials file names it."""

    cluster_id: str
    region: str = DEFAULT_SAAS_REGION

    @property
    def grpc_address(self) -> str:
        return f"{self.cluster_id}.{self.region}.zeebe.camunda.io:443"

    @property
    def rest_address(self) -> str:
        return f"https://{self.region}.zeebe.camunda.io/{self.cluster_id}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "SaasCluster | None":
        cluster_id = _first(environ, "CAMUNDA_CLUSTER_ID")
        if cluster_id is None:
            return None
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", cluster_id):
            msg = f"CAMUNDA_CLUSTER_ID={cluster_id!r} is not a cluster id"
            raise ConfigError(msg)
        region = _first(environ, "CAMUNDA_CLUSTER_REGION") or DEFAULT_SAAS_REGION
        if not re.fullmatch(r"[a-z0-9-]{1,32}", region):
            msg = f"CAMUNDA_CLUSTER_REGION={region!r} is not a region (e.g. bru-2)"
            raise ConfigError(msg)
        return cls(cluster_id=cluster_id, region=region)


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
    auth: CamundaAuth = CamundaAuth()
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
            raw = _first(environ, *names) or (saas.rest_address if saas else DEFAULT_REST_ADDRESS)
            address = camunda_rest_address(raw, name=_name_of(environ, *names))
        ca_path = _ca_certificate_path(environ)
        if ca_path and not address.startswith("https://"):
            msg = "a private CA (CAMUNDA_CUSTOM_ROOT_CERT_PATH) needs an https:// REST address"
            raise ConfigError(msg)
        tenant = _first(environ, "CAMUNDA_TENANT_ID")
        return cls(
            address=address,
            auth=CamundaAuth.from_env(environ, saas=saas is not None),
            ca_certificate_path=ca_path,
            tenant_id=_tenant_id(tenant, name="CAMUNDA_TENANT_ID") if tenant else None,
            timeout=_positive_duration(environ, "CAMUNDA_REST_TIMEOUT", cls().timeout),
        )


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
    auth: CamundaAuth = CamundaAuth()
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
        secure_text = _first(environ, "CAMUNDA_SECURE_CONNECTION")
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
        ca_path = _ca_certificate_path(environ)
        if ca_path and not tls:
            msg = "a private CA (CAMUNDA_CUSTOM_ROOT_CERT_PATH) needs a TLS address (https://host:port)"
            raise ConfigError(msg)
        tenant = _first(environ, "CAMUNDA_TENANT_ID")
        tenant = _tenant_id(tenant, name="CAMUNDA_TENANT_ID") if tenant else None
        listed = _first(environ, "CANARY_WORKER_TENANT_IDS")
        workers = (
            tuple(
                _tenant_id(t.strip(), name="CANARY_WORKER_TENANT_IDS")
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
    plain = _first(environ, "ZEEBE_ADDRESS")
    node = _first(environ, "ZEEBE_GRPC_ADDRESS")
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


TASK_NAMES = ("choose", "v1", "v2")
#: Longest start-up wait for the rollout config (seconds): past it a value is a typo.
MAX_STARTUP_WAIT = 600.0
#: Most jobs one task may run at once in one process (Zeebe's maxJobsToActivate is an int32;
#: past a few thousand per process a value is a typo).
MAX_JOBS_LIMIT = 10_000


def _port(text: str, *, name: str = "CANARY_HTTP_PORT") -> int:
    # isdigit() alone takes "²", which int() refuses: ASCII digits only (issue 16, item 11).
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) < 65536:
        msg = f"{name}={text!r} is not a port number"
        raise ConfigError(msg)
    return int(text)


def parse_tasks(text: str, *, name: str = "CANARY_TASKS") -> frozenset[str]:
    """``choose,v1,v2`` (any non-empty subset) -> the set of workers to run in this process."""
    tasks = frozenset(t.strip() for t in text.split(",") if t.strip())
    unknown = sorted(tasks - set(TASK_NAMES))
    if unknown or not tasks:
        msg = f"{name}={text!r}: choose from {', '.join(TASK_NAMES)} (comma-separated)"
        raise ConfigError(msg)
    return tasks


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """The `canary worker` process: which tasks, its name, its HTTP endpoints, shutdown."""

    tasks: frozenset[str] = frozenset(TASK_NAMES)
    #: Worker name shown in Operate for the jobs it activates (from_env: the host name).
    name: str = "canary"
    http_host: str = "0.0.0.0"  # noqa: S104  (containers)
    #: /healthz, /readyz and /metrics; 0 picks a free port.
    http_port: int = 9400
    #: How long SIGTERM waits for in-flight jobs before exiting anyway.
    shutdown_grace: float = 25.0
    #: Jobs a task may run at once in this process.
    max_jobs: int = 64
    #: Use Zeebe's job streaming (8.4+) next to long polling. Off by default: long polling
    #: already hands jobs over within milliseconds, and a stream's jobs cross the channel's
    #: interceptor one by one.
    job_streaming: bool = False
    #: How long start-up waits for the rollout config before deciding with the fallback.
    startup_wait: float = 10.0
    #: Job timeout of the verify tasks (None: four request timeouts plus ten seconds).
    verify_job_timeout: float | None = None

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        hostname: str,
        tasks: str | None = None,
        http_port: int | None = None,
    ) -> "WorkerSettings":
        """`tasks` and `http_port` (the `--tasks` and `--http-port` flags) win over the
        environment."""
        default = cls()
        if http_port is not None:
            port = _port(str(http_port), name="--http-port")
        else:
            port = _port(_get(environ, "CANARY_HTTP_PORT", str(default.http_port)))
        return cls(
            tasks=(
                parse_tasks(tasks, name="--tasks")
                if tasks is not None
                else parse_tasks(_get(environ, "CANARY_TASKS", ",".join(sorted(default.tasks))))
            ),
            name=_get(environ, "CANARY_WORKER_NAME", hostname),
            http_host=_get(environ, "CANARY_HTTP_HOST", default.http_host),
            http_port=port,
            shutdown_grace=_seconds(environ, "CANARY_SHUTDOWN_GRACE", default.shutdown_grace),
            max_jobs=_positive_int(
                environ, "CANARY_MAX_JOBS", default.max_jobs, maximum=MAX_JOBS_LIMIT
            ),
            job_streaming=parse_bool(
                _get(environ, "CANARY_JOB_STREAMING", str(default.job_streaming)),
                name="CANARY_JOB_STREAMING",
            ),
            startup_wait=_bounded_duration(
                environ, "CANARY_STARTUP_WAIT", default.startup_wait, maximum=MAX_STARTUP_WAIT
            ),
            verify_job_timeout=(
                _positive_duration(environ, "CANARY_VERIFY_JOB_TIMEOUT", 1.0)
                if environ.get("CANARY_VERIFY_JOB_TIMEOUT", "").strip()
                else None
            ),
        )


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Everything `canary worker` needs; each section validated before anything starts."""

    worker: WorkerSettings = field(default_factory=WorkerSettings)
    zeebe: ZeebeSettings = field(default_factory=ZeebeSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    recorder: RecorderSettings = field(default_factory=RecorderSettings)
    verifymenow: VerifyMeNowSettings = field(default_factory=VerifyMeNowSettings)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        hostname: str,
        tasks: str | None = None,
        http_port: int | None = None,
    ) -> "ServiceSettings":
        return cls(
            worker=WorkerSettings.from_env(
                environ, hostname=hostname, tasks=tasks, http_port=http_port
            ),
            zeebe=ZeebeSettings.from_env(environ),
            database=DatabaseSettings.from_env(environ),
            routing=RoutingSettings.from_env(environ),
            recorder=RecorderSettings.from_env(environ),
            verifymenow=VerifyMeNowSettings.from_env(environ),
        )
