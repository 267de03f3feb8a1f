"""No personal data in the logs of verify jobs, nor in what goes to Zeebe, on any path.

Each job carries an applicant's name, date of birth, document number and image reference; the
jobs run through pyzeebe's job handler (so its logging runs too) and end every way a job can.
Checked twice: the raw events (our code never passes personal data to a log call) and the text
of the real rendering pipeline of `workers.logs` (JSON and console).
"""

import io
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from pyzeebe import JobController, ZeebeTaskRouter
from structlog.testing import capture_logs
from verify_support import (
    DATE_OF_BIRTH,
    DOCUMENT_NUMBER,
    FAMILY_NAME,
    GIVEN_NAME,
    PERSONAL_VALUES,
    FakeZeebeAdapter,
    make_job,
    valid_variables,
)

from workers import process
from workers.logs import configure_logging
from workers.settings import LoggingSettings
from workers.tasks.verify_identity import make_verify_task, register_verify_task
from workers.verifymenow.v1 import VerifyMeNowV1
from workers.verifymenow.v2 import VerifyMeNowV2

ECHO = f"{GIVEN_NAME} {FAMILY_NAME} {DATE_OF_BIRTH} {DOCUMENT_NUMBER}"

#: One provider answer per way a job can end (the body echoes personal data where it can).
ANSWERS: dict[str, dict[int, Any]] = {
    "approved": {
        1: httpx.Response(200, json={"status": "OK", "code": "VERIFIED", "checkId": "c1"}),
        2: httpx.Response(201, json={"id": "v1", "decision": "approved", "reasons": []}),
    },
    "rejected": {
        1: httpx.Response(200, json={"status": "KO", "code": "REJECTED", "checkId": "c2"}),
        2: httpx.Response(201, json={"id": "v2", "decision": "rejected", "reasons": [ECHO]}),
    },
    "unreadable": {
        1: httpx.Response(200, json={"status": "KO", "code": "DOC_UNREADABLE", "checkId": "c"}),
        2: httpx.Response(
            201, json={"id": "v", "decision": "review", "reasons": ["document_glare"]}
        ),
    },
    "server error": {v: httpx.Response(503, text=ECHO) for v in (1, 2)},
    "provider validation": {
        1: httpx.Response(400, json={"status": "ERROR", "code": ECHO, "field": DOCUMENT_NUMBER}),
        2: httpx.Response(422, json={"code": "invalid_field", "detail": ECHO}),
    },
    "malformed": {v: httpx.Response(200, json={"echo": ECHO}) for v in (1, 2)},
    "timeout": {v: httpx.ReadTimeout(ECHO) for v in (1, 2)},
    "connection": {v: httpx.ConnectError(ECHO) for v in (1, 2)},
}  # fmt: skip


class EchoingBugClient:
    """A client with a bug whose exception message holds the applicant's data."""

    def __init__(self, version: int) -> None:
        self.version = version

    async def verify(self, request: Any, *, idempotency_key: str) -> Any:
        raise RuntimeError(f"{request.family_name} {request.document_number} {idempotency_key}")


def provider_client(version: int, answer: Any) -> Any:
    def handler(_request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    cls = VerifyMeNowV1 if version == 1 else VerifyMeNowV2
    return cls(base_url="http://vmn.test", timeout=1.0, transport=httpx.MockTransport(handler))


async def run_every_path() -> list[tuple[str, dict[str, Any]]]:
    """Run one job per ending and version through pyzeebe; return what went to the gateway."""
    clients = [provider_client(v, a[v]) for a in ANSWERS.values() for v in (1, 2)]
    clients += [EchoingBugClient(1), EchoingBugClient(2)]
    invalid = valid_variables()
    invalid["applicant"]["dateOfBirth"] = DATE_OF_BIRTH.replace("-", "")
    runs = [(c, valid_variables(), retries) for c in clients for retries in (3, 1)]
    runs += [(provider_client(2, ANSWERS["approved"][2]), invalid, 3)]
    adapter = FakeZeebeAdapter()
    for client, variables, retries in runs:
        router = ZeebeTaskRouter()
        version = client.version
        register_verify_task(
            router, make_verify_task(client, version=version), version=version, request_timeout=1
        )
        job = make_job(version, variables=variables, retries=retries)
        await router.get_task(process.verify_task(version)).job_handler(
            job, JobController(job, adapter)
        )
    assert len(adapter.calls) == len(runs)
    return adapter.calls


def assert_free_of_personal_data(text: str) -> None:
    for value in PERSONAL_VALUES:
        assert value not in text
    assert DATE_OF_BIRTH.replace("-", "") not in text


async def test_raw_log_events_never_hold_personal_data():
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as events:
        calls = await run_every_path()
    assert len(events) >= len(calls)
    assert {e["event"] for e in events} >= {
        "identity verified",
        "identity not verified",
        "verification failed",
        "verification failed unexpectedly",
    }
    assert_free_of_personal_data(repr(events))


async def test_messages_and_variables_sent_to_zeebe_never_hold_personal_data():
    calls = await run_every_path()
    assert {name for name, _ in calls} == {"complete_job", "throw_error", "fail_job"}
    assert_free_of_personal_data(repr(calls))


@pytest.fixture
def rendered_logs(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """The project's real logging configuration, writing into a buffer."""
    stream = io.StringIO()
    pyzeebe_logger = logging.getLogger("pyzeebe")
    pyzeebe_level = pyzeebe_logger.level
    configure_logging(
        LoggingSettings(format=request.param, level="debug", redact_keys=frozenset()),
        stream=stream,
    )
    # Cached loggers would keep this configuration after the test (the autouse fixture in
    # conftest resets structlog's defaults, not loggers already cached).
    structlog.configure(cache_logger_on_first_use=False)
    yield stream
    pyzeebe_logger.setLevel(pyzeebe_level)


@pytest.mark.parametrize("rendered_logs", ["json", "console"], indirect=True)
async def test_rendered_log_output_never_holds_personal_data(rendered_logs):
    await run_every_path()
    output = rendered_logs.getvalue()
    assert "identity verified" in output
    assert "verification failed unexpectedly" in output
    assert "input variable applicant.dateOfBirth" in output
    assert_free_of_personal_data(output)
