"""Logging: configured once, JSON for machines, console for people, personal data redacted.

Every module logs with ``structlog.get_logger()``; per-job context (process instance key, job
key, element id, task type, version) is bound with contextvars by the task glue, so each line a
job produces carries it. `redact_personal_data` runs before rendering and blanks the values of
personal-data keys wherever they appear in an event, nested dicts and lists included. Secrets
are masked later, on the stream every line goes through (`log_secrets`).
"""

import logging
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TextIO, cast

import structlog

from workers.log_secrets import ScrubbingStream
from workers.settings import LoggingSettings

REDACTED = "[redacted]"

#: Keys whose values are personal data in the identity-verification story. Compared
#: case-insensitively with separators removed, so `first_name`, `firstName` and `FIRST-NAME`
#: all match.
PERSONAL_DATA_KEYS = frozenset(
    {
        "address",
        "birthdate",
        "dateofbirth",
        "dob",
        "document",
        "documentimage",
        "documentnumber",
        "documents",
        "email",
        "familyname",
        "firstname",
        "fullname",
        "givenname",
        "idnumber",
        "lastname",
        "name",
        "nationalid",
        "passportnumber",
        "phone",
        "phonenumber",
        "ssn",
        "surname",
        "taxid",
    }
)


#: Values that cannot hold a nested personal-data key; checked by exact type, which is much
#: cheaper than the isinstance() against Mapping every other value needs.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _normalise(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


class PersonalDataRedactor:
    """A structlog processor that replaces the values of personal-data keys with a marker."""

    def __init__(self, extra_keys: Iterable[str] = ()) -> None:
        self._keys = PERSONAL_DATA_KEYS | {_normalise(k) for k in extra_keys}
        # Every log line passes here; the same few dozen key names come back all the time.
        self._verdicts: dict[str, bool] = {}

    def __call__(
        self, _logger: object, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in event_dict.items():
            if key == "event":
                continue
            if self._personal(key):
                event_dict[key] = REDACTED
            elif type(value) not in _SCALARS and isinstance(value, Mapping | list | tuple):
                event_dict[key] = self._scrub(key, value)
        return event_dict

    def _personal(self, key: str) -> bool:
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = _normalise(key) in self._keys
            if len(self._verdicts) < 10_000:  # bounded: keys can come from data
                self._verdicts[key] = verdict
        return verdict

    def _scrub(self, key: str, value: Any) -> Any:
        if self._personal(key):
            return REDACTED
        if isinstance(value, Mapping):
            return {k: self._scrub(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._scrub("", v) for v in value]
        return value


class _OutageNoiseFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return not message.startswith(("Failed to activate jobs", "Failed to strean jobs"))


def redact(value: Any, extra_keys: Iterable[str] = ()) -> Any:
    """Redact a value the way log events are redacted (for variables shown elsewhere)."""
    return PersonalDataRedactor(extra_keys)._scrub("", value)  # noqa: SLF001


def shared_processors(settings: LoggingSettings) -> list[structlog.typing.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        PersonalDataRedactor(settings.redact_keys),
        structlog.processors.StackInfoRenderer(),
    ]


_STREAM = ScrubbingStream(sys.stderr)


def configure_logging(settings: LoggingSettings, *, stream: Any = None) -> None:
    """Configure structlog (and route the stdlib's logging, e.g. pyzeebe's, through it)."""
    # Every line, ours and third-party libraries', is scrubbed of secrets on this one stream.
    # It is the same object on every call, only its target changes: loggers cached on first
    # use keep writing to it, so they follow a reconfiguration instead of a closed file.
    _STREAM.stream = stream if stream is not None else sys.stderr
    out = cast("TextIO", _STREAM)
    as_json = settings.format == "json" or (
        settings.format == "auto" and not getattr(out, "isatty", lambda: False)()
    )
    renderer: structlog.typing.Processor
    if as_json:
        renderer = structlog.processors.JSONRenderer()
        exc: list[structlog.typing.Processor] = [structlog.processors.format_exc_info]
    else:
        renderer = structlog.dev.ConsoleRenderer()
        exc = []
    level = logging.getLevelNamesMapping()[settings.level.upper()]
    processors = shared_processors(settings)
    structlog.configure(
        processors=[*processors, *exc, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=True,
    )
    # Third-party libraries log through the stdlib; render their lines the same way.
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                *processors,
                *exc,
            ],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pyzeebe's debug lines print whole Job objects, variables (personal data) included.
    logging.getLogger("pyzeebe").setLevel(max(level, logging.INFO))
    # pyzeebe warns on every failed poll (every 5 s per task) during a gateway outage;
    # runtime.gateway_watch.GatewayWatch logs each outage once, with its duration, instead.
    poller = logging.getLogger("pyzeebe.worker.job_poller")
    if not any(isinstance(f, _OutageNoiseFilter) for f in poller.filters):
        poller.addFilter(_OutageNoiseFilter())
    # httpx logs every request at INFO; the workers log one line per job already.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
