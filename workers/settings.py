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

from workers.errors import ConfigError
from workers.routing import Version, parse_version

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_ROLLOUT = "verifymenow"
DEFAULT_SUBJECT_VARIABLE = "applicantId"

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
