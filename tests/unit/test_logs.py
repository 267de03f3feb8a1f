"""Logging setup: JSON for machines, console for people, personal data redacted, noise cut."""

import io
import json
import logging

import structlog

from workers.logs import REDACTED, PersonalDataRedactor, configure_logging, redact
from workers.settings import LoggingSettings


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def settings(
    fmt: str = "auto", level: str = "info", extra: frozenset[str] = frozenset()
) -> LoggingSettings:
    return LoggingSettings(format=fmt, level=level, redact_keys=extra)  # type: ignore[arg-type]


def test_json_lines_when_not_a_terminal_with_redaction_and_context():
    out = io.StringIO()
    configure_logging(settings(), stream=out)
    with structlog.contextvars.bound_contextvars(job_key=7):
        structlog.get_logger("t").info(
            "verified",
            applicant={"givenName": "Ada", "dateOfBirth": "1990-01-01"},
            document_number="X1",
        )
    line = json.loads(out.getvalue())
    assert line["event"] == "verified"
    assert line["job_key"] == 7
    assert line["applicant"] == {"givenName": REDACTED, "dateOfBirth": REDACTED}
    assert line["document_number"] == REDACTED
    assert "Ada" not in out.getvalue()
    assert "X1" not in out.getvalue()


def test_console_rendering_on_a_terminal():
    out = Tty()
    configure_logging(settings(), stream=out)
    structlog.get_logger("t").info("hello", version=2)
    text = out.getvalue()
    assert "hello" in text
    assert not text.lstrip().startswith("{")


def test_stdlib_loggers_are_rendered_as_json_too():
    out = io.StringIO()
    configure_logging(settings(fmt="json"), stream=out)
    logging.getLogger("somelib").warning("lib says %s", "hi")
    line = json.loads(out.getvalue().splitlines()[-1])
    assert line["event"] == "lib says hi"


def test_pyzeebe_poll_failures_are_left_to_the_gateway_watch():
    out = io.StringIO()
    configure_logging(settings(fmt="json"), stream=out)
    poller = logging.getLogger("pyzeebe.worker.job_poller")
    poller.warning(
        "Failed to activate jobs from the gateway. Exception: %s. Retrying in 5 seconds...", "x"
    )
    poller.warning("Maximum number of jobs running for %s", "choose-version")
    text = out.getvalue()
    assert "Failed to activate jobs" not in text
    assert "Maximum number of jobs running" in text


def test_pyzeebe_debug_lines_never_show_even_at_debug_level():
    out = io.StringIO()
    configure_logging(settings(fmt="json", level="debug"), stream=out)
    logging.getLogger("pyzeebe.task.task_builder").debug(
        "Failed job: %s", "Job(variables={'name': 'Ada'})"
    )
    assert "Ada" not in out.getvalue()


def test_extra_keys_can_be_redacted_and_names_match_in_any_style():
    redactor = PersonalDataRedactor(["iban"])
    event = redactor(
        None, "info", {"event": "x", "IBAN": "DE00", "first_name": "Ada", "FamilyName": "L"}
    )
    assert event == {"event": "x", "IBAN": REDACTED, "first_name": REDACTED, "FamilyName": REDACTED}


def test_redact_walks_lists_and_nested_objects():
    value = {"documents": [{"number": "1"}], "items": [{"phone": "123", "ok": 1}]}
    assert redact(value) == {"documents": REDACTED, "items": [{"phone": REDACTED, "ok": 1}]}
