"""The `verify-identity-v1` and `verify-identity-v2` jobs: one call to VerifyMeNow each.

Input: ``applicantId``, ``applicant``, ``document`` (see `verify_input`), nothing else fetched.
Output on success: ``verification`` ``{version, decision, reasons, providerReference,
latencyMs}``. Every other ending (BPMN error, retry, incident) is decided by
`failure_policy.FailurePolicy` and carried out by its exception handler.

Each request carries an Idempotency-Key from the process instance and element instance keys,
so a job Zeebe hands out again does not verify twice. Each job attempt writes one outcome to
the sink and one log line (job identifiers and ``version`` bound by `job_log_context`); the
lines hold decisions, codes and timings, never the applicant's data.
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

import structlog
from pyzeebe import Job, ZeebeTaskRouter

from workers import process
from workers.errors import CanaryError
from workers.postgres.outcomes import Outcome, OutcomeSink
from workers.routing import Version
from workers.tasks.failure_policy import (
    FailJob,
    FailurePolicy,
    JobVerdictError,
    ThrowBpmnError,
    make_exception_handler,
    traceback_frames,
)
from workers.tasks.job_context import job_log_context
from workers.tasks.job_gateway import JobEnding
from workers.tasks.verify_input import INPUT_VARIABLES, parse_verification_input
from workers.verifymenow.errors import VerificationRefusedError
from workers.verifymenow.idempotency import idempotency_key
from workers.verifymenow.result import VerificationClient

log = structlog.get_logger(__name__)

VerifyTask = Callable[..., Awaitable[dict[str, Any]]]


def make_verify_task(
    client: VerificationClient,
    *,
    version: Version,
    sink: OutcomeSink | None = None,
    policy: FailurePolicy | None = None,
) -> VerifyTask:
    """The task function for `version`, closed over its client; callable without a worker.

    `policy` defaults to `FailurePolicy(version=version)`: 3 attempts (Zeebe's default job
    retries; pass the model's `retries` if it sets others, for the "attempt n of N" wording)
    and the default backoff. Tests pass one with a seeded random generator.
    """
    if client.version != version:
        msg = f"a v{client.version} client cannot serve verify-identity-v{version}"
        raise ValueError(msg)
    if policy is None:
        policy = FailurePolicy(version=version)
    elif policy.version != version:
        msg = f"a v{policy.version} failure policy cannot serve verify-identity-v{version}"
        raise ValueError(msg)

    def record(job: Job, outcome: Outcome, latency_ms: float | None, code: str | None) -> None:
        if sink is not None:
            sink.record_outcome(
                job, version=version, outcome=outcome, latency_ms=latency_ms, error_code=code
            )

    async def verify_identity(job: Job, **_variables: Any) -> dict[str, Any]:
        with job_log_context(job, version=version):
            started = time.perf_counter()
            try:
                request = parse_verification_input(job.variables)
                result = await client.verify(
                    request, idempotency_key=idempotency_key(job), deadline=answer_by(job)
                )
            except Exception as exc:
                elapsed = (time.perf_counter() - started) * 1000.0
                verdict = policy.decide(exc, job)
                _log_verdict(verdict, exc, elapsed_ms=elapsed)
                if isinstance(exc, VerificationRefusedError):
                    record(job, verdict.outcome, exc.result.latency_ms, exc.error_code)
                else:
                    record(job, verdict.outcome, elapsed, None)
                raise JobVerdictError(verdict) from exc
            log.info(
                "identity verified",
                outcome=Outcome.VERIFIED.value,
                provider_reference=result.provider_reference,
                reasons=list(result.reasons),
                latency_ms=round(result.latency_ms, 1),
            )
            record(job, Outcome.VERIFIED, result.latency_ms, None)
            return {process.VERIFICATION: result.as_variable()}

    verify_identity.__name__ = verify_identity.__qualname__ = f"verify_identity_v{version}"
    return verify_identity


#: Time kept back from the job's deadline to send CompleteJob or FailJob.
ANSWER_MARGIN_SECONDS = 1.0


def answer_by(job: Job) -> float | None:
    """When the provider's answer is needed by (epoch seconds): the job's deadline less the
    margin to report it; None when the job carries no deadline."""
    if not job.deadline:
        return None
    return job.deadline / 1000.0 - ANSWER_MARGIN_SECONDS


def _log_verdict(verdict: FailJob | ThrowBpmnError, exc: Exception, *, elapsed_ms: float) -> None:
    common = {"outcome": verdict.outcome.value, "elapsed_ms": round(elapsed_ms, 1)}
    if isinstance(verdict, ThrowBpmnError):
        log.info(
            "identity not verified",
            error_code=verdict.error_code,
            reasons=verdict.variables[process.VERIFICATION_ERROR]["reasons"],
            provider_reference=verdict.variables[process.VERIFICATION]["providerReference"],
            **common,
        )
    elif isinstance(exc, CanaryError):
        # Our own errors: the message is written for people and holds no personal data.
        log.warning(
            "verification failed",
            failure=verdict.message,
            retries_left=verdict.retries,
            backoff_ms=verdict.backoff_ms,
            **common,
        )
    else:
        # A bug: the type and where it happened, never its message (it may hold any value).
        log.error(
            "verification failed unexpectedly",
            error_type=type(exc).__name__,
            frames=traceback_frames(exc),
            retries_left=verdict.retries,
            backoff_ms=verdict.backoff_ms,
            **common,
        )


def register_verify_task(
    router: ZeebeTaskRouter,
    task: VerifyTask,
    *,
    version: Version,
    jobs: JobEnding,
    request_timeout: float,
    timeout_ms: int | None = None,
    max_jobs: int = 64,
    policy: FailurePolicy | None = None,
) -> None:
    """Serve `verify-identity-v<version>` on `router` with the verdict-applying handler,
    which ends failed jobs through `jobs` (see `job_gateway`).

    The job timeout defaults to four request timeouts plus ten seconds (30 s for the default
    5 s), so Zeebe never hands the job to another worker while the HTTP call can still end.
    """
    request_timeout_ms = round(request_timeout * 1000)
    if timeout_ms is None:
        timeout_ms = 4 * request_timeout_ms + 10_000
    if timeout_ms < 2 * request_timeout_ms:
        msg = (
            f"job timeout {timeout_ms} ms must be at least twice the request timeout "
            f"({request_timeout_ms} ms)"
        )
        raise ValueError(msg)
    router.task(
        process.verify_task(version),
        exception_handler=make_exception_handler(policy or FailurePolicy(version=version), jobs),
        variables_to_fetch=list(INPUT_VARIABLES),
        timeout_ms=timeout_ms,
        # Activate in smaller batches than may run: pyzeebe's poller sleeps whenever the
        # running jobs reach max_running_jobs, so equal numbers stall it after every batch.
        max_jobs_to_activate=max(1, max_jobs // 2),
        max_running_jobs=max_jobs,
    )(cast("Callable[..., Any]", task))  # pyzeebe's Function union does not accept `...`
