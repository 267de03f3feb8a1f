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
        check_database_url(url)
        return cls(url=url)


_URL_PASSWORD = re.compile(r"^(?P<head>[a-z]+://[^/?#@:]*:)(?P<password>[^/?#@]*)(?=@)")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<password>[^&#]*)")


def mask_database_url(url: str) -> str:
    """`url` with its password (in the user part or a ``password=`` parameter) as ``***``."""
    masked = _URL_PASSWORD.sub(r"\g<head>***", url)
    return _QUERY_PASSWORD.sub(r"\g<head>***", masked)


def check_database_url(url: str) -> None:
    """Refuse a connection URL libpq cannot use, in one line that never shows the password.

    psycopg's own messages quote the URL or its percent-encoded password; a worker started
    with such a URL used to run on with its database tasks dead (issue 16).
    """
    from urllib.parse import unquote  # noqa: PLC0415

    from psycopg import ProgrammingError  # noqa: PLC0415  (settings stay cheap to import)
    from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415

    masked = mask_database_url(url)
    try:
        params = conninfo_to_dict(url)
    except ProgrammingError as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        secrets = {m.group("password") for m in (_URL_PASSWORD.search(url),) if m}
        secrets |= {m.group("password") for m in _QUERY_PASSWORD.finditer(url)}
        for secret in sorted(secrets | {unquote(x) for x in secrets}, key=len, reverse=True):
            if secret:
                reason = reason.replace(secret, "***")
        reason = reason.replace(url, masked)
        msg = f"DATABASE_URL {masked} is not a valid connection string: {reason}"
        raise ConfigError(msg) from None
    for port in str(params.get("port") or "5432").split(","):
        if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            msg = f"DATABASE_URL {masked}: port {port!r} is not a port number"
            raise ConfigError(msg)


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
    environ: Mapping[str, str], name: str, default: str, *, maximum: float
) -> float:
    value = parse_duration(_get(environ, name, default), name=name)
    if value > maximum:
        msg = f"{name} must be at most {maximum:g} s"
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
        buffer_size = _positive_int(
            environ, "CANARY_RECORDER_BUFFER_SIZE", 100_000, maximum=10_000_000
        )
        batch_size = _positive_int(environ, "CANARY_RECORDER_BATCH_SIZE", 1_000, maximum=100_000)
        if batch_size > buffer_size:
            msg = "CANARY_RECORDER_BATCH_SIZE must not exceed CANARY_RECORDER_BUFFER_SIZE"
            raise ConfigError(msg)
        return cls(
            buffer_size=buffer_size,
            batch_size=batch_size,
            flush_interval=_positive_duration(environ, "CANARY_RECORDER_FLUSH_INTERVAL", "1s"),
            stop_timeout=_positive_duration(environ, "CANARY_RECORDER_STOP_TIMEOUT", "10s"),
        )


CamundaAuth = Literal["none", "basic", "oauth"]


def camunda_rest_address(url: str, *, name: str = "CAMUNDA_REST_ADDRESS") -> str:
    """The REST API base URL ending in ``/v2``; ``http://host:8080`` and ``.../v2`` both work."""
    text = url.strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        msg = f"{name} must be an http:// or https:// URL"
        raise ConfigError(msg)
    return text if text.endswith("/v2") else f"{text}/v2"


@dataclass(frozen=True, slots=True, repr=False)
class CamundaRestSettings:
    """How to reach the Camunda 8 REST API (v2): a real cluster or the dev engine alike.

    Auth is inferred when CAMUNDA_AUTH_STRATEGY is not set: a client id and secret mean OAuth
    client credentials, a basic-auth user means basic, nothing means none (a local cluster with
    the unprotected API). Camunda's own variable names are read, including the ZEEBE_* ones
    its Console puts in a client's credentials file.
    """

    #: Base URL ending in /v2, e.g. http://localhost:8080/v2.
    address: str
    auth: CamundaAuth
    username: str | None
    password: str | None
    client_id: str | None
    client_secret: str | None
    #: Token endpoint for the client-credentials grant.
    oauth_url: str | None
    audience: str | None
    scope: str | None
    #: Whole-request timeout in seconds.
    timeout: float

    def __repr__(self) -> str:  # secrets never appear in logs or tracebacks
        return (
            f"CamundaRestSettings(address={self.address!r}, auth={self.auth!r},"
            f" username={self.username!r}, client_id={self.client_id!r},"
            f" oauth_url={self.oauth_url!r})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "CamundaRestSettings":
        def first(*names: str) -> str | None:
            return _first(environ, *names)

        address = camunda_rest_address(
            first("CAMUNDA_REST_ADDRESS", "ZEEBE_REST_ADDRESS") or "http://localhost:8080"
        )
        username = first("CAMUNDA_BASIC_AUTH_USERNAME")
        password = environ.get("CAMUNDA_BASIC_AUTH_PASSWORD") or None
        client_id = first("CAMUNDA_CLIENT_ID", "ZEEBE_CLIENT_ID")
        client_secret = first("CAMUNDA_CLIENT_SECRET", "ZEEBE_CLIENT_SECRET")
        oauth_url = first("CAMUNDA_OAUTH_URL", "ZEEBE_AUTHORIZATION_SERVER_URL")
        strategy = (first("CAMUNDA_AUTH_STRATEGY") or "").lower()
        if not strategy:
            strategy = "oauth" if client_id or client_secret else "basic" if username else "none"
        if strategy not in ("none", "basic", "oauth"):
            msg = f"CAMUNDA_AUTH_STRATEGY={strategy!r} must be NONE, BASIC or OAUTH"
            raise ConfigError(msg)
        if strategy == "basic" and not (username and password):
            msg = "basic auth needs CAMUNDA_BASIC_AUTH_USERNAME and CAMUNDA_BASIC_AUTH_PASSWORD"
            raise ConfigError(msg)
        if strategy == "oauth":
            if not (client_id and client_secret and oauth_url):
                msg = (
                    "OAuth needs a client id, a client secret and a token URL"
                    " (ZEEBE_CLIENT_ID, ZEEBE_CLIENT_SECRET, CAMUNDA_OAUTH_URL)"
                )
                raise ConfigError(msg)
            if not oauth_url.startswith(("http://", "https://")):
                msg = "CAMUNDA_OAUTH_URL must be an http:// or https:// URL"
                raise ConfigError(msg)
        return cls(
            address=address,
            auth=strategy,  # type: ignore[arg-type]
            username=username,
            password=password,
            client_id=client_id,
            client_secret=client_secret,
            oauth_url=oauth_url,
            audience=first("CAMUNDA_TOKEN_AUDIENCE", "ZEEBE_TOKEN_AUDIENCE"),
            scope=first("CAMUNDA_TOKEN_SCOPE"),
            timeout=_positive_duration(environ, "CAMUNDA_REST_TIMEOUT", "10s"),
        )


ZeebeMode = Literal["plaintext", "tls", "oauth", "saas"]
DEFAULT_ZEEBE_ADDRESS = "localhost:26500"
SAAS_OAUTH_URL = "https://login.cloud.camunda.io/oauth/token"
SAAS_AUDIENCE = "zeebe.camunda.io"


@dataclass(frozen=True, slots=True, repr=False)
class ZeebeSettings:
    """How the workers and `canary deploy` reach the Zeebe gateway over gRPC.

    - Self-managed, plaintext: ``ZEEBE_ADDRESS=localhost:26500`` (or ``http://host:port``).
    - Self-managed, TLS: ``ZEEBE_ADDRESS=https://host:port`` (or ``grpcs://``); a private CA
      via ``ZEEBE_CA_CERTIFICATE_PATH``.
    - Self-managed with OAuth: add ``ZEEBE_CLIENT_ID``, ``ZEEBE_CLIENT_SECRET`` and the token
      URL ``ZEEBE_AUTHORIZATION_SERVER_URL`` (or ``CAMUNDA_OAUTH_URL``); TLS is implied.
    - Camunda SaaS: ``CAMUNDA_CLUSTER_ID`` (+ ``CAMUNDA_CLUSTER_REGION``, default bru-2) with
      the client id and secret, as in the credentials file Console hands out.
    """

    mode: ZeebeMode
    #: host:port of the gateway (for SaaS: derived from cluster id and region).
    address: str
    client_id: str | None = None
    client_secret: str | None = None
    oauth_url: str | None = None
    audience: str | None = None
    cluster_id: str | None = None
    region: str | None = None
    ca_certificate_path: str | None = None

    def __repr__(self) -> str:
        # The secret must never reach a log line or a traceback.
        return (
            f"ZeebeSettings(mode={self.mode!r}, address={self.address!r}, "
            f"client_id={self.client_id!r}, client_secret={'***' if self.client_secret else None})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "ZeebeSettings":
        client_id = _first(environ, "ZEEBE_CLIENT_ID", "CAMUNDA_CLIENT_ID")
        client_secret = _first(environ, "ZEEBE_CLIENT_SECRET", "CAMUNDA_CLIENT_SECRET")
        oauth_url = _first(environ, "ZEEBE_AUTHORIZATION_SERVER_URL", "CAMUNDA_OAUTH_URL")
        ca_path = _first(environ, "ZEEBE_CA_CERTIFICATE_PATH")
        if bool(client_id) != bool(client_secret):
            msg = "ZEEBE_CLIENT_ID and ZEEBE_CLIENT_SECRET must be set together"
            raise ConfigError(msg)
        if oauth_url and not oauth_url.startswith("https://"):
            # The OAuth library refuses to send credentials over plain http: with an http://
            # URL every call failed with a traceback, every 5 s, forever.
            msg = "ZEEBE_AUTHORIZATION_SERVER_URL must be an https:// URL"
            raise ConfigError(msg)
        credentials = {
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": _first(environ, "ZEEBE_TOKEN_AUDIENCE", "CAMUNDA_TOKEN_AUDIENCE"),
            "ca_certificate_path": ca_path,
        }
        cluster_id = _first(environ, "CAMUNDA_CLUSTER_ID")
        if cluster_id:
            if not client_id:
                msg = "CAMUNDA_CLUSTER_ID needs ZEEBE_CLIENT_ID and ZEEBE_CLIENT_SECRET"
                raise ConfigError(msg)
            region = _first(environ, "CAMUNDA_CLUSTER_REGION") or "bru-2"
            credentials["audience"] = credentials["audience"] or SAAS_AUDIENCE
            return cls(
                mode="saas",
                address=f"{cluster_id}.{region}.zeebe.camunda.io:443",
                oauth_url=oauth_url or SAAS_OAUTH_URL,
                cluster_id=cluster_id,
                region=region,
                **credentials,
            )
        address, tls = _parse_grpc_address(
            _first(environ, "ZEEBE_ADDRESS") or DEFAULT_ZEEBE_ADDRESS
        )
        if client_id:
            if not oauth_url:
                msg = "OAuth needs a token URL: set ZEEBE_AUTHORIZATION_SERVER_URL"
                raise ConfigError(msg)
            return cls(mode="oauth", address=address, oauth_url=oauth_url, **credentials)
        if ca_path and not tls:
            msg = "ZEEBE_CA_CERTIFICATE_PATH needs a TLS address (https://host:port)"
            raise ConfigError(msg)
        return cls(mode="tls" if tls else "plaintext", address=address, ca_certificate_path=ca_path)


def _first(environ: Mapping[str, str], *names: str) -> str | None:
    """The first of several equivalent variables that is set (Camunda has aliases)."""
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


_GRPC_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>[A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\])(?::(?P<port>\d{1,5}))?/?$"
)


def _parse_grpc_address(raw: str) -> tuple[str, bool]:
    """``host:port`` plus whether to use TLS, from the forms zbctl and Camunda's docs use."""
    match = _GRPC_ADDRESS.match(raw)
    if match is None:
        msg = f"ZEEBE_ADDRESS={raw!r} is not host:port (or http(s)://host:port)"
        raise ConfigError(msg)
    scheme = match.group("scheme")
    if scheme not in (None, "http", "grpc", "https", "grpcs"):
        msg = f"ZEEBE_ADDRESS scheme {scheme!r} is not http, https, grpc or grpcs"
        raise ConfigError(msg)
    tls = scheme in ("https", "grpcs")
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
        if not (port_text.isascii() and port_text.isdigit()) or not 0 <= int(port_text) < 65536:
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
            max_jobs=_positive_int(environ, "CANARY_MAX_JOBS", 64, maximum=MAX_JOBS_LIMIT),
            job_streaming=parse_bool(
                # Off by default: long polling already hands jobs over within milliseconds,
                # and a stream's jobs cross the channel's interceptor one by one.
                _get(environ, "CANARY_JOB_STREAMING", "false"),
                name="CANARY_JOB_STREAMING",
            ),
            startup_wait=_bounded_duration(
                environ, "CANARY_STARTUP_WAIT", "10s", maximum=MAX_STARTUP_WAIT
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
