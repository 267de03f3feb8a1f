"""Configuration: the one module that reads environment variables.

Each section is a frozen dataclass with ``from_env(environ)``; a command builds only the
sections it needs, so a malformed variable for the v2 client never stops `canary rate show`.
Every variable is listed in the README's configuration table; `ENVIRONMENT_VARIABLES` is the
machine-readable list the compose-file check compares against.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from workers import process
from workers.errors import ConfigError
from workers.routing import Version, parse_version

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_ROLLOUT = process.MODEL_ROLLOUT
DEFAULT_SUBJECT_VARIABLE = process.APPLICANT_ID

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_ROLLOUT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def parse_duration(text: str, *, name: str) -> float:
    """``"30"``, ``"30s"``, ``"250ms"``, ``"5m"``, ``"1h"`` -> seconds."""
    match = _DURATION.match(text)
    if match is None:
        msg = f"{name}={text!r} is not a duration (examples: 30s, 250ms, 5m)"
        raise ConfigError(msg)
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


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


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    #: libpq connection URL of the rollout store.
    url: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "DatabaseSettings":
        url = _get(environ, "DATABASE_URL", DEFAULT_DATABASE_URL)
        if not url.startswith(("postgresql://", "postgres://")):
            msg = "DATABASE_URL must be a postgresql:// URL"
            raise ConfigError(msg)
        return cls(url=url)


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    #: Which rollout row the choose-version worker follows.
    rollout: str
    #: Process variable holding the stable subject key (else the process instance key).
    subject_variable: str
    #: How long the last known config may be used while Postgres is unreachable.
    max_config_age: float
    #: Safety-net reload period, on top of LISTEN/NOTIFY.
    refresh_interval: float
    #: The version every instance gets once the config is older than `max_config_age`.
    fallback_version: Version

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RoutingSettings":
        max_age = parse_duration(
            _get(environ, "CANARY_CONFIG_MAX_AGE", "5m"), name="CANARY_CONFIG_MAX_AGE"
        )
        refresh = parse_duration(
            _get(environ, "CANARY_CONFIG_REFRESH", "30s"), name="CANARY_CONFIG_REFRESH"
        )
        if refresh <= 0:
            msg = "CANARY_CONFIG_REFRESH must be greater than 0"
            raise ConfigError(msg)
        if max_age <= refresh:
            # Otherwise a healthy worker would flap to the fallback between two refreshes.
            msg = "CANARY_CONFIG_MAX_AGE must be longer than CANARY_CONFIG_REFRESH"
            raise ConfigError(msg)
        fallback_text = _get(environ, "CANARY_FALLBACK_VERSION", "1")
        try:
            fallback = parse_version(fallback_text)
        except ValueError:
            msg = f"CANARY_FALLBACK_VERSION={fallback_text!r} must be 1 or 2"
            raise ConfigError(msg) from None
        subject_variable = _get(environ, "CANARY_SUBJECT_VARIABLE", DEFAULT_SUBJECT_VARIABLE)
        if not subject_variable.isidentifier():
            msg = f"CANARY_SUBJECT_VARIABLE={subject_variable!r} is not a variable name"
            raise ConfigError(msg)
        return cls(
            rollout=check_rollout_name(_get(environ, "CANARY_ROLLOUT", DEFAULT_ROLLOUT)),
            subject_variable=subject_variable,
            max_config_age=max_age,
            refresh_interval=refresh,
            fallback_version=fallback,
        )


@dataclass(frozen=True, slots=True)
class VerifyMeNowSettings:
    #: Base URL of the provider's v1 API (the client appends /v1/...).
    v1_url: str
    #: Base URL of the provider's v2 API (the client appends /v2/...).
    v2_url: str
    #: Whole-request timeout in seconds; well below the job timeout.
    request_timeout: float
    #: Sent as a bearer token when set; never logged.
    api_key: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "VerifyMeNowSettings":
        urls = {}
        for name in ("VERIFYMENOW_V1_URL", "VERIFYMENOW_V2_URL"):
            url = _get(environ, name, "http://127.0.0.1:8090")
            if not url.startswith(("http://", "https://")):
                msg = f"{name} must be an http:// or https:// URL"
                raise ConfigError(msg)
            urls[name] = url.rstrip("/")
        timeout = parse_duration(
            _get(environ, "VERIFYMENOW_TIMEOUT", "5s"), name="VERIFYMENOW_TIMEOUT"
        )
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
    format: LogFormat
    level: str
    #: Keys whose values are redacted wherever they appear in a log event, on top of the
    #: built-in list of personal-data keys.
    redact_keys: frozenset[str]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "LoggingSettings":
        fmt = _get(environ, "CANARY_LOG_FORMAT", "auto").lower()
        if fmt not in ("auto", "json", "console"):
            msg = f"CANARY_LOG_FORMAT={fmt!r} must be auto, json or console"
            raise ConfigError(msg)
        level = _get(environ, "CANARY_LOG_LEVEL", "info").lower()
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


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    text = _get(environ, name, str(default))
    try:
        value = int(text)
    except ValueError:
        msg = f"{name}={text!r} is not a whole number"
        raise ConfigError(msg) from None
    if value < 1:
        msg = f"{name} must be at least 1"
        raise ConfigError(msg)
    return value


def _positive_duration(environ: Mapping[str, str], name: str, default: str) -> float:
    value = parse_duration(_get(environ, name, default), name=name)
    if not math.isfinite(value) or value <= 0:
        msg = f"{name} must be greater than 0"
        raise ConfigError(msg)
    return value


@dataclass(frozen=True, slots=True)
class RecorderSettings:
    """The outcome recorder: a bounded in-memory buffer written to Postgres in batches."""

    #: Records held while Postgres is slow or down; past it records are counted and dropped.
    buffer_size: int
    #: Rows written per batch (one COPY per table, one transaction).
    batch_size: int
    #: Longest a record waits in memory before a write is attempted.
    flush_interval: float
    #: How long stopping may take to write what is left.
    stop_timeout: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RecorderSettings":
        buffer_size = _positive_int(environ, "CANARY_RECORDER_BUFFER_SIZE", 100_000)
        batch_size = _positive_int(environ, "CANARY_RECORDER_BATCH_SIZE", 1_000)
        if batch_size > buffer_size:
            msg = "CANARY_RECORDER_BATCH_SIZE must not exceed CANARY_RECORDER_BUFFER_SIZE"
            raise ConfigError(msg)
        return cls(
            buffer_size=buffer_size,
            batch_size=batch_size,
            flush_interval=_positive_duration(environ, "CANARY_RECORDER_FLUSH_INTERVAL", "1s"),
            stop_timeout=_positive_duration(environ, "CANARY_RECORDER_STOP_TIMEOUT", "10s"),
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
    def from_env(cls, environ: Mapping[str, str]) -> "CamundaRestSettings":
        saas = SaasCluster.from_env(environ)
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
            timeout=_positive_duration(environ, "CAMUNDA_REST_TIMEOUT", "10s"),
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
    def from_env(cls, environ: Mapping[str, str]) -> "ZeebeSettings":
        saas = SaasCluster.from_env(environ)
        auth = CamundaAuth.from_env(environ, saas=saas is not None)
        secure_text = _first(environ, "CAMUNDA_SECURE_CONNECTION")
        secure = None
        if secure_text is not None:
            secure = parse_bool(secure_text, name="CAMUNDA_SECURE_CONNECTION")
        raw = _grpc_address(environ)
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

    tasks: frozenset[str]
    #: Worker name shown in Operate for the jobs it activates.
    name: str
    http_host: str
    #: /healthz, /readyz and /metrics; 0 picks a free port.
    http_port: int
    #: How long SIGTERM waits for in-flight jobs before exiting anyway.
    shutdown_grace: float
    #: Jobs a task may run at once in this process.
    max_jobs: int
    #: Use Zeebe's job streaming (8.4+) next to long polling.
    job_streaming: bool
    #: How long start-up waits for the rollout config before deciding with the fallback.
    startup_wait: float
    #: Job timeout of the verify tasks (None: four request timeouts plus ten seconds).
    verify_job_timeout: float | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, hostname: str) -> "WorkerSettings":
        port_text = _get(environ, "CANARY_HTTP_PORT", "9400")
        if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
            msg = f"CANARY_HTTP_PORT={port_text!r} is not a port number"
            raise ConfigError(msg)
        grace = parse_duration(
            _get(environ, "CANARY_SHUTDOWN_GRACE", "25s"), name="CANARY_SHUTDOWN_GRACE"
        )
        return cls(
            tasks=parse_tasks(_get(environ, "CANARY_TASKS", ",".join(TASK_NAMES))),
            name=_get(environ, "CANARY_WORKER_NAME", hostname),
            http_host=_get(environ, "CANARY_HTTP_HOST", "0.0.0.0"),  # noqa: S104  (containers)
            http_port=int(port_text),
            shutdown_grace=grace,
            max_jobs=_positive_int(environ, "CANARY_MAX_JOBS", 64),
            job_streaming=parse_bool(
                # Off by default: long polling already hands jobs over within milliseconds,
                # and a stream's jobs cross the channel's interceptor one by one.
                _get(environ, "CANARY_JOB_STREAMING", "false"),
                name="CANARY_JOB_STREAMING",
            ),
            startup_wait=parse_duration(
                _get(environ, "CANARY_STARTUP_WAIT", "10s"), name="CANARY_STARTUP_WAIT"
            ),
            verify_job_timeout=(
                _positive_duration(environ, "CANARY_VERIFY_JOB_TIMEOUT", "1s")
                if environ.get("CANARY_VERIFY_JOB_TIMEOUT", "").strip()
                else None
            ),
        )


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Everything `canary worker` needs; each section validated before anything starts."""

    worker: WorkerSettings
    zeebe: ZeebeSettings
    database: DatabaseSettings
    routing: RoutingSettings
    recorder: RecorderSettings
    verifymenow: VerifyMeNowSettings

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, hostname: str) -> "ServiceSettings":
        return cls(
            worker=WorkerSettings.from_env(environ, hostname=hostname),
            zeebe=ZeebeSettings.from_env(environ),
            database=DatabaseSettings.from_env(environ),
            routing=RoutingSettings.from_env(environ),
            recorder=RecorderSettings.from_env(environ),
            verifymenow=VerifyMeNowSettings.from_env(environ),
        )
