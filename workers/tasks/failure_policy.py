"""How a verify-identity job ends when it does not simply complete.

    exception                            verdict                     Operate shows
    ───────────────────────────────────  ──────────────────────────  ─────────────────────────
    IdentityRejectedError                ThrowError IDENTITY_REJECTED   the boundary path
    DocumentUnreadableError              ThrowError DOCUMENT_UNREADABLE the boundary path
    InvalidVariablesError (our input)    FailJob retries=0           incident naming the variable
    InvalidRequestError (provider 4xx)   FailJob retries=0           incident with status/code
    TransientError (5xx, 429, timeout,   FailJob retries-1, backoff  a retry later; an incident
      connection, malformed body)        (>= Retry-After, >= the     when retries run out
                                         time a timeout waited)
    anything else (a bug)                FailJob retries-1, backoff  same, type name only

Business outcomes send two variables with the error: ``verification`` (as on success) and
``verificationError`` ``{code, reasons, version}``. Failure messages say what failed and which
attempt it was ("VerifyMeNow v2 returned HTTP 503 (attempt 3 of 3)"), so the incident on the
branch's task is readable without the logs; they never hold request values.

Backoff is exponential with full jitter (a uniform draw below ``base * 2**(attempt-1)``,
capped), floored so that a retry is never immediate, and never shorter than what the failure
says about the provider's timing (`TransientError.retry_not_sooner_than`): a Retry-After it
sent, or after a timeout, as long as it already held the request unanswered. pyzeebe's
default handler retries immediately; this module replaces it.

The task function decides the verdict (`FailurePolicy.decide`), logs and records it, and
raises `JobVerdictError`; the exception handler only carries the verdict out through a
`job_gateway.JobEnding` (our own typed FailJob/ThrowError calls: pyzeebe's controller cannot
send "no retries" for a job that has some). Deciding inside the task keeps unit tests free
of pyzeebe's worker.
"""

import random
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from pyzeebe import ExceptionHandler, Job, JobController

from workers import process
from workers.backoff import Backoff
from workers.postgres.outcomes import Outcome
from workers.tasks.job_context import job_log_context
from workers.tasks.job_gateway import JobEnding, JobGatewayError, JobGoneError
from workers.tasks.verify_input import InvalidVariablesError
from workers.verifymenow.errors import (
    InvalidRequestError,
    TransientError,
    VerificationRefusedError,
)

log = structlog.get_logger(__name__)

#: Zeebe's default job retries when the model sets none; the model's `retries` should match.
DEFAULT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ThrowBpmnError:
    error_code: str
    message: str
    variables: dict[str, Any]
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class FailJob:
    message: str
    #: Retries left after this failure; 0 raises an incident.
    retries: int
    backoff_ms: int
    outcome: Outcome


Verdict = ThrowBpmnError | FailJob


class JobVerdictError(Exception):
    """Raised by a task function once it has decided how its job ends."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


@dataclass(frozen=True, slots=True)
class FailurePolicy:
    version: int
    #: Attempts the model allows (its `retries`); only used to word "attempt n of N".
    attempts: int = DEFAULT_ATTEMPTS
    #: Zeebe re-activates a job with zero backoff at once: keep every retry 0.2 s away at least.
    backoff: Backoff = field(default_factory=lambda: Backoff(base=1.0, cap=60.0, floor=0.2))
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def decide(self, exc: Exception, job: Job) -> Verdict:
        if isinstance(exc, VerificationRefusedError):
            result = exc.result
            return ThrowBpmnError(
                error_code=exc.error_code,
                message=str(exc),
                variables={
                    process.VERIFICATION: result.as_variable(),
                    process.VERIFICATION_ERROR: {
                        "code": exc.error_code,
                        "reasons": list(result.reasons),
                        "version": result.version,
                    },
                },
                outcome=Outcome.REJECTED
                if exc.error_code == process.IDENTITY_REJECTED
                else Outcome.UNREADABLE,
            )
        if isinstance(exc, InvalidVariablesError | InvalidRequestError):
            return FailJob(str(exc), retries=0, backoff_ms=0, outcome=Outcome.INCIDENT)

        attempt, total = self._attempt(job)
        what = (
            str(exc)
            if isinstance(exc, TransientError)
            else f"unexpected {type(exc).__name__} in the"
            f" {process.verify_task(self.version)} worker, details in its logs"
        )
        retries = max(job.retries - 1, 0)
        if retries == 0:
            return FailJob(
                f"{what} (attempt {attempt} of {total})",
                retries=0,
                backoff_ms=0,
                outcome=Outcome.INCIDENT,
            )
        not_sooner = exc.retry_not_sooner_than if isinstance(exc, TransientError) else None
        return FailJob(
            f"{what} (attempt {attempt} of {total})",
            retries=retries,
            backoff_ms=self.backoff.delay_ms(attempt, rng=self.rng, at_least=not_sooner),
            outcome=Outcome.TRANSIENT_FAILURE,
        )

    def _attempt(self, job: Job) -> tuple[int, int]:
        # Zeebe sends the retries left, not the configured ones; an operator may also have
        # raised them to resolve an incident, so never print "attempt 0" or "4 of 3".
        total = max(self.attempts, job.retries)
        return total - job.retries + 1, total


def traceback_frames(exc: BaseException) -> list[str]:
    """Where an exception came from, as ``file:line in function`` only.

    A formatted traceback would include the exception's message, and a bug's message can hold
    whatever value was at hand (a name, a document number); frames cannot.
    """
    return [
        f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
    ]


async def apply_verdict(verdict: Verdict, job: Job, jobs: JobEnding) -> None:
    """Send the verdict for `job`: ThrowError, or FailJob with exactly `verdict.retries`."""
    if isinstance(verdict, ThrowBpmnError):
        await jobs.throw_error(
            job_key=job.key,
            message=verdict.message,
            variables=verdict.variables,
            error_code=verdict.error_code,
        )
    else:
        await jobs.fail_job(
            job_key=job.key,
            retries=verdict.retries,
            message=verdict.message,
            retry_back_off_ms=verdict.backoff_ms,
            variables={},
        )


def make_exception_handler(policy: FailurePolicy, jobs: JobEnding) -> ExceptionHandler:
    """The pyzeebe exception handler of a verify task: carry out the task's verdict.

    An exception that is not a `JobVerdictError` escaped the task function's own handling (a
    bug in the glue); it is decided here with the same policy, logged with frames only. A
    verdict the gateway did not take is logged: the job times out and is activated again, so
    nothing is lost.
    """

    async def handle(exc: Exception, job: Job, _controller: JobController) -> None:
        if isinstance(exc, JobVerdictError):
            verdict = exc.verdict
        else:
            verdict = policy.decide(exc, job)
            with job_log_context(job, version=policy.version):
                log.error(
                    "verify task raised outside its own handling",
                    error_type=type(exc).__name__,
                    frames=traceback_frames(exc),
                    retries_left=getattr(verdict, "retries", None),
                )
        try:
            await apply_verdict(verdict, job, jobs)
        except JobGoneError as gone:
            with job_log_context(job, version=policy.version):
                log.warning("job no longer active; verdict not sent", reason=str(gone))
        except JobGatewayError as failed:
            with job_log_context(job, version=policy.version):
                log.error(  # noqa: TRY400 - one line says it; a traceback adds nothing
                    "gateway did not take the verdict; the job will time out", reason=str(failed)
                )

    return handle
