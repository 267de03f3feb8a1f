"""The verify-identity task functions, called directly and through pyzeebe's job handler."""

import random
from typing import Any

import httpx
import pytest
import structlog
from pyzeebe import JobController, ZeebeTaskRouter
from structlog.testing import capture_logs
from verify_support import (
    ELEMENT_INSTANCE_KEY,
    PROCESS_INSTANCE_KEY,
    FakeZeebeAdapter,
    ListOutcomeSink,
    make_job,
    valid_variables,
)

from workers import process
from workers.postgres.outcomes import Outcome
from workers.tasks.failure_policy import FailJob, FailurePolicy, JobVerdictError, ThrowBpmnError
from workers.tasks.verify_identity import make_verify_task, register_verify_task
from workers.verifymenow.v1 import VerifyMeNowV1
from workers.verifymenow.v2 import VerifyMeNowV2

APPROVED = {
    1: {"status": "OK", "code": "VERIFIED", "checkId": "chk_1"},
    2: {"id": "ver_1", "decision": "approved", "reasons": []},
}
REJECTED = {
    1: {"status": "KO", "code": "REJECTED", "checkId": "chk_2"},
    2: {"id": "ver_2", "decision": "rejected", "reasons": ["identity_mismatch"]},
}
UNREADABLE = {
    1: {"status": "KO", "code": "DOC_UNREADABLE", "checkId": "chk_3"},
    2: {"id": "ver_3", "decision": "review", "reasons": ["document_glare"]},
}


class Provider:
    """A MockTransport handler answering from a script, remembering what it was sent."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(version: int, provider: Provider):
    cls = VerifyMeNowV1 if version == 1 else VerifyMeNowV2
    return cls(base_url="http://vmn.test", timeout=1.0, transport=httpx.MockTransport(provider))


def task_for(version: int, provider: Provider, sink: ListOutcomeSink | None = None):
    policy = FailurePolicy(version=version, rng=random.Random(3))
    return make_verify_task(client(version, provider), version=version, sink=sink, policy=policy)


@pytest.mark.parametrize("version", [1, 2])
async def test_an_approval_completes_with_the_verification_variable(version):
    provider = Provider(httpx.Response(200, json=APPROVED[version]))
    sink = ListOutcomeSink()
    result = await task_for(version, provider, sink)(make_job(version))
    verification = result["verification"]
    assert set(result) == {"verification"}
    assert verification["version"] == version
    assert verification["decision"] == "verified"
    assert verification["reasons"] == []
    assert verification["providerReference"] == APPROVED[version].get("checkId", "ver_1")
    assert isinstance(verification["latencyMs"], int)
    (recorded,) = sink.outcomes
    assert recorded["outcome"] is Outcome.VERIFIED
    assert recorded["version"] == version
    assert recorded["latency_ms"] >= 0
    assert recorded["error_code"] is None


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    ("answers", "code", "outcome"),
    [(REJECTED, "IDENTITY_REJECTED", Outcome.REJECTED),
     (UNREADABLE, "DOCUMENT_UNREADABLE", Outcome.UNREADABLE)],
)  # fmt: skip
async def test_business_outcomes_become_a_bpmn_error_verdict(version, answers, code, outcome):
    sink = ListOutcomeSink()
    task = task_for(version, Provider(httpx.Response(200, json=answers[version])), sink)
    with pytest.raises(JobVerdictError) as caught:
        await task(make_job(version))
    verdict = caught.value.verdict
    assert isinstance(verdict, ThrowBpmnError)
    assert verdict.error_code == code
    assert verdict.variables["verificationError"]["version"] == version
    assert verdict.variables["verification"]["decision"] == outcome.value
    assert [(o["outcome"], o["error_code"]) for o in sink.outcomes] == [(outcome, code)]


async def test_a_transient_failure_records_transient_then_incident_on_the_last_attempt():
    sink = ListOutcomeSink()
    task = task_for(2, Provider(httpx.Response(503)), sink)
    for retries in (3, 2, 1):
        with pytest.raises(JobVerdictError) as caught:
            await task(make_job(2, retries=retries))
        assert isinstance(caught.value.verdict, FailJob)
        assert caught.value.verdict.retries == retries - 1
    assert [o["outcome"] for o in sink.outcomes] == [
        Outcome.TRANSIENT_FAILURE,
        Outcome.TRANSIENT_FAILURE,
        Outcome.INCIDENT,
    ]
    assert caught.value.verdict.message == "VerifyMeNow v2 returned HTTP 503 (attempt 3 of 3)"


async def test_invalid_input_is_an_incident_and_the_provider_is_never_called():
    provider = Provider(httpx.Response(201, json=APPROVED[2]))
    sink = ListOutcomeSink()
    job = make_job(2, variables=valid_variables(document={"type": "visa"}))
    with pytest.raises(JobVerdictError) as caught:
        await task_for(2, provider, sink)(job)
    assert caught.value.verdict.retries == 0
    assert "document.type" in caught.value.verdict.message
    assert provider.requests == []
    assert [o["outcome"] for o in sink.outcomes] == [Outcome.INCIDENT]


async def test_a_bug_is_retried_with_backoff_and_recorded_as_transient():
    class BrokenClient:
        version = 2

        async def verify(self, _request: Any, *, idempotency_key: str) -> Any:
            raise ZeroDivisionError(idempotency_key)

    sink = ListOutcomeSink()
    task = make_verify_task(BrokenClient(), version=2, sink=sink)
    with pytest.raises(JobVerdictError) as caught:
        await task(make_job(2))
    verdict = caught.value.verdict
    assert isinstance(verdict, FailJob)
    assert (verdict.retries, verdict.backoff_ms > 0) == (2, True)
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    assert [o["outcome"] for o in sink.outcomes] == [Outcome.TRANSIENT_FAILURE]


async def test_the_idempotency_key_is_stable_for_a_reactivated_job_and_new_per_element():
    provider = Provider(httpx.Response(201, json=APPROVED[2]))
    task = task_for(2, provider)
    await task(make_job(2, key=1))
    await task(make_job(2, key=2, retries=2))  # the same element instance, handed out again
    await task(make_job(2, key=3, eik=ELEMENT_INSTANCE_KEY + 10))  # a new visit of the task
    keys = [r.headers["Idempotency-Key"] for r in provider.requests]
    expected = f"camunda-{PROCESS_INSTANCE_KEY}-{ELEMENT_INSTANCE_KEY}"
    assert keys[0] == keys[1] == expected
    assert keys[2] == f"camunda-{PROCESS_INSTANCE_KEY}-{ELEMENT_INSTANCE_KEY + 10}"


@pytest.mark.parametrize("version", [1, 2])
async def test_every_log_line_of_a_job_names_the_job_and_the_version(version):
    answers = [httpx.Response(200, json=APPROVED[version]), httpx.Response(503)]
    task = task_for(version, Provider(*answers))
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        await task(make_job(version))
        with pytest.raises(JobVerdictError):
            await task(make_job(version))
    assert [e["event"] for e in logs] == ["identity verified", "verification failed"]
    for event in logs:
        assert event["version"] == version
        assert event["process_instance_key"] == str(PROCESS_INSTANCE_KEY)
        assert event["element_id"] == f"verify-identity-v{version}"
        assert event["task_type"] == f"verify-identity-v{version}"
        assert "job_key" in event
    assert logs[1]["failure"].startswith(f"VerifyMeNow v{version} returned HTTP 503")


def test_a_client_of_the_other_version_is_refused():
    with pytest.raises(ValueError, match="v1 client cannot serve verify-identity-v2"):
        make_verify_task(client(1, Provider(httpx.Response(200))), version=2)


# -- registration and pyzeebe's own job handler --------------------------------------------


def registered(version: int, provider: Provider, **kwargs):
    router = ZeebeTaskRouter()
    register_verify_task(
        router, task_for(version, provider), version=version, request_timeout=5.0, **kwargs
    )
    return router.get_task(process.verify_task(version))


def test_registration_fetches_only_the_inputs_with_a_timeout_well_above_the_request():
    task = registered(2, Provider(httpx.Response(201, json=APPROVED[2])))
    assert task.type == "verify-identity-v2"
    assert list(task.config.variables_to_fetch) == ["applicantId", "applicant", "document"]
    assert task.config.timeout_ms == 30_000
    assert task.config.exception_handler is not None


def test_a_job_timeout_too_close_to_the_request_timeout_is_refused():
    with pytest.raises(ValueError, match="at least twice the request timeout"):
        registered(1, Provider(httpx.Response(200)), timeout_ms=9_000)


async def run_job(version: int, provider: Provider, *, retries: int = 3):
    job = make_job(version, retries=retries)
    adapter = FakeZeebeAdapter()
    await registered(version, provider).job_handler(job, JobController(job, adapter))
    return adapter.only_call()


async def test_through_pyzeebe_an_approval_completes_the_job_with_the_variable():
    name, call = await run_job(2, Provider(httpx.Response(201, json=APPROVED[2])))
    assert name == "complete_job"
    assert call["variables"]["verification"]["decision"] == "verified"


async def test_through_pyzeebe_a_rejection_throws_the_boundarys_error_code():
    name, call = await run_job(1, Provider(httpx.Response(200, json=REJECTED[1])))
    assert (name, call["error_code"]) == ("throw_error", "IDENTITY_REJECTED")
    assert call["variables"]["verificationError"] == {
        "code": "IDENTITY_REJECTED",
        "reasons": ["REJECTED"],
        "version": 1,
    }


async def test_through_pyzeebe_a_timeout_fails_with_backoff_never_immediately():
    name, call = await run_job(2, Provider(httpx.ReadTimeout("slow")))
    assert name == "fail_job"
    assert call["retries"] == 2
    assert call["retry_back_off_ms"] >= 200
    assert call["message"] == "VerifyMeNow v2 did not answer within 1 s (attempt 1 of 3)"


async def test_through_pyzeebe_a_provider_validation_error_is_an_incident_at_once():
    body = {"status": "ERROR", "code": "INVALID_FIELD", "field": "issuingCountry"}
    name, call = await run_job(1, Provider(httpx.Response(400, json=body)), retries=3)
    assert (name, call["retries"]) == ("fail_job", 0)
    assert "field issuingCountry" in call["message"]
