"""How log lines look (JSON or console), how many there are, and what is redacted."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from workers.errors import ConfigError
from workers.settings.read import text

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
        fmt = text(environ, "CANARY_LOG_FORMAT", "auto").lower()
        if fmt not in ("auto", "json", "console"):
            msg = f"CANARY_LOG_FORMAT={fmt!r} must be auto, json or console"
            raise ConfigError(msg)
        level = text(environ, "CANARY_LOG_LEVEL", default_level).lower()
        if level not in ("debug", "info", "warning", "error"):
            msg = f"CANARY_LOG_LEVEL={level!r} must be debug, info, warning or error"
            raise ConfigError(msg)
        extra = text(environ, "CANARY_REDACT_KEYS", "")
        keys = frozenset(k.strip() for k in extra.split(",") if k.strip())
        return cls(format=fmt, level=level, redact_keys=keys)  # type: ignore[arg-type]
