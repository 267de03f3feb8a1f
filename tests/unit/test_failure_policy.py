"""The exception policy: which gateway call, with which retries, backoff, code, variables.

The handler ends jobs through a fake `JobEnding` that records the values that would go over
gRPC; tests/integration/test_job_gateway.py sends the same calls to the dev engine.
"""

import random

import pytest
from support.verify import FakeZeebeAdapter, controller, make_job

from workers.backoff import Backoff
from workers.postgres.outcomes import Outcome
from workers.tasks.failure_policy import (
    FailJob,
    FailurePolicy,
    JobVerdictError,
    ThrowBpmnError,
    apply_verdict,
    make_exception_handler,
    traceback_frames,
)
from workers.tasks.verify_input import InvalidVariablesError
from workers.verifymenow.errors import (
    DocumentUnreadableError,
    IdentityRejectedError,
    InvalidRequestError,
    MalformedResponseError,
    ProviderConnectionError,
    ProviderStatusError,
    ProviderTimeoutError,
)
from workers.verifymenow.result import Decision, VerificationResult


def policy(version: int = 2, *, seed: int = 7, **kwargs) -> FailurePolicy:
    return FailurePolicy(version=version, rng=random.Random(seed), **kwargs)


async def run_handler(exc: Exception, *, retries: int = 3, version: int = 2, **kwargs):
    """Run the exception handler the verify tasks register; return the adapter's one call."""
    job = make_job(version, retries=retries)
    adapter = FakeZeebeAdapter()
    handler = make_exception_handler(policy(version, **kwargs), adapter)
    await handler(exc, job, controller(job, adapter))
    return adapter.only_call()


def refused(error_cls, decision: Decision, reasons: tuple[str, ...]):
    result = VerificationResult(2, decision, reasons, "ver_1", 41.6)
    return error_cls("VerifyMeNow v2 decided rejected", result=result)


async def test_rejection_throws_identity_rejected_with_both_variables():
    exc = refused(IdentityRejectedError, Decision.REJECTED, ("identity_mismatch",))
    name, call = await run_handler(JobVerdictError(policy().decide(exc, make_job())))
    assert name == "throw_error"
    assert call["error_code"] == "IDENTITY_REJECTED"
    assert call["message"] == "VerifyMeNow v2 decided rejected"
    assert call["variables"] == {
        "verification": {
            "version": 2,
            "decision": "rejected",
            "reasons": ["identity_mismatch"],
            "providerReference": "ver_1",
            "latencyMs": 42,
        },
        "verificationError": {
            "code": "IDENTITY_REJECTED",
            "reasons": ["identity_mismatch"],
            "version": 2,
        },
    }


async def test_unreadable_document_throws_document_unreadable():
    exc = refused(DocumentUnreadableError, Decision.UNREADABLE, ("document_glare",))
    verdict = policy().decide(exc, make_job())
    assert verdict.outcome is Outcome.UNREADABLE
    name, call = await run_handler(JobVerdictError(verdict))
    assert (name, call["error_code"]) == ("throw_error", "DOCUMENT_UNREADABLE")
    assert call["variables"]["verificationError"]["code"] == "DOCUMENT_UNREADABLE"


@pytest.mark.parametrize(
    "exc",
    [
        InvalidVariablesError("applicant.dateOfBirth", "must be a date written YYYY-MM-DD"),
        InvalidRequestError(
            "VerifyMeNow v2 refused the request: HTTP 422", version=2, status=422, code=None,
            field=None,
        ),
    ],
)  # fmt: skip
@pytest.mark.parametrize("retries", [3, 2, 1])
async def test_invalid_input_or_request_is_an_incident_at_once_whatever_the_retries(exc, retries):
    name, call = await run_handler(exc, retries=retries)
    assert name == "fail_job"
    assert call["retries"] == 0
    assert call["message"] == str(exc)
    assert call["retry_back_off_ms"] == 0


async def test_an_incident_message_names_the_variable():
    exc = InvalidVariablesError("document.country", "must be an ISO 3166-1 alpha-2 country code")
    _, call = await run_handler(exc)
    assert call["message"].startswith("input variable document.country must be")


@pytest.mark.parametrize(
    "exc",
    [
        ProviderStatusError("VerifyMeNow v2 returned HTTP 503", version=2, status=503,
                            retry_after=None),
        # No connection within the timeout: the provider never had the request.
        ProviderTimeoutError("VerifyMeNow v2 did not answer within 5 s", version=2,
                             in_flight_s=None),
        ProviderConnectionError("VerifyMeNow v2 could not be reached (ConnectError)", version=2),
        MalformedResponseError("VerifyMeNow v2 sent a malformed response: x", version=2),
    ],
)  # fmt: skip
async def test_transient_failures_fail_with_one_retry_less_and_a_backoff(exc):
    name, call = await run_handler(exc, retries=3)
    assert name == "fail_job"
    assert call["retries"] == 2
    assert call["message"] == f"{exc} (attempt 1 of 3)"
    assert 200 <= call["retry_back_off_ms"] <= 1000


async def test_the_last_transient_failure_raises_a_readable_incident():
    exc = ProviderStatusError(
        "VerifyMeNow v2 returned HTTP 503", version=2, status=503, retry_after=None
    )
    name, call = await run_handler(exc, retries=1)
    assert name == "fail_job"
    assert call["retries"] == 0
    assert call["message"] == "VerifyMeNow v2 returned HTTP 503 (attempt 3 of 3)"
    verdict = policy().decide(exc, make_job(retries=1))
    assert verdict.outcome is Outcome.INCIDENT


async def test_attempts_follow_the_models_retries_and_never_count_past_them():
    exc = ProviderTimeoutError("VerifyMeNow v1 did not answer within 5 s", version=1,
                               in_flight_s=5.0)  # fmt: skip
    _, call = await run_handler(exc, version=1, retries=4, attempts=5)
    assert call["message"].endswith("(attempt 2 of 5)")
    # An operator raised the retries to 5 to resolve an incident on a 3-attempt model.
    _, call = await run_handler(exc, version=1, retries=5, attempts=3)
    assert call["message"].endswith("(attempt 1 of 5)")


async def test_retry_after_is_a_lower_bound_of_the_backoff():
    exc = ProviderStatusError("VerifyMeNow v2 returned HTTP 429", version=2, status=429,
                              retry_after=12.0)  # fmt: skip
    _, call = await run_handler(exc, retries=3)
    assert call["retry_back_off_ms"] >= 12_000


@pytest.mark.parametrize("seed", range(20))
async def test_after_a_timeout_the_retry_waits_as_long_as_the_provider_already_had_it(seed):
    """A provider slower than the 5 s timeout is still on the request: a retry 0.2-1 s later
    met it (409) and used up an attempt. The backoff now fits the provider's timing."""
    exc = ProviderTimeoutError("VerifyMeNow v2 did not answer within 5 s", version=2,
                               in_flight_s=5.0)  # fmt: skip
    for retries in (3, 2):
        _, call = await run_handler(exc, retries=retries, seed=seed)
        assert call["retry_back_off_ms"] >= 5_000


async def test_an_unexpected_exception_is_retried_with_backoff_and_its_type_only():
    exc = KeyError("Quernsby-Oyelaran")
    name, call = await run_handler(exc, retries=3)
    assert name == "fail_job"
    assert call["retries"] == 2
    assert call["retry_back_off_ms"] >= 200
    assert call["message"] == (
        "unexpected KeyError in the verify-identity-v2 worker, details in its logs (attempt 1 of 3)"
    )
    assert "Quernsby" not in call["message"]


async def test_a_verdict_keeping_pyzeebes_arithmetic_uses_the_public_call():
    job = make_job(retries=3)
    adapter = FakeZeebeAdapter()
    verdict = FailJob("x", retries=2, backoff_ms=500, outcome=Outcome.TRANSIENT_FAILURE)
    await apply_verdict(verdict, job, adapter)
    assert adapter.only_call()[1]["retries"] == 2
    assert job.retries == 3  # the Job pyzeebe shares is never changed


async def test_failing_with_no_retries_leaves_the_shared_job_untouched():
    job = make_job(retries=3)
    adapter = FakeZeebeAdapter()
    verdict = FailJob("x", retries=0, backoff_ms=0, outcome=Outcome.INCIDENT)
    await apply_verdict(verdict, job, adapter)
    assert adapter.only_call()[1]["retries"] == 0
    assert job.retries == 3


def test_decide_returns_verdict_types():
    exc = refused(IdentityRejectedError, Decision.REJECTED, ())
    assert isinstance(policy().decide(exc, make_job()), ThrowBpmnError)
    assert isinstance(policy().decide(RuntimeError(), make_job()), FailJob)


# -- backoff -------------------------------------------------------------------------------


def test_backoff_is_full_jitter_below_an_exponential_ceiling():
    backoff = Backoff(base=1.0, cap=60.0, floor=0.2)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1000), (2, 2000), (3, 4000), (4, 8000), (10, 60_000)]:
        delays = [backoff.delay_ms(attempt, rng=rng) for _ in range(2000)]
        assert min(delays) >= 200
        assert max(delays) <= ceiling
        # Full jitter: the draws spread over the whole range, not bunched near the ceiling.
        assert min(delays) < 0.2 * ceiling + 200
        assert max(delays) > 0.8 * ceiling


def test_backoff_is_reproducible_with_a_seeded_generator():
    backoff = Backoff()
    first = [backoff.delay_ms(3, rng=random.Random(5)) for _ in range(3)]
    assert first == [backoff.delay_ms(3, rng=random.Random(5)) for _ in range(3)]


def test_traceback_frames_name_places_not_values():
    def explode(secret: str) -> None:
        raise ValueError(secret)

    try:
        explode("ZQ4471902")
    except ValueError as exc:
        frames = traceback_frames(exc)
    assert frames[-1].startswith("test_failure_policy.py:")
    assert frames[-1].endswith("in explode")
    assert all("ZQ4471902" not in frame for frame in frames)
