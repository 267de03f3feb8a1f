"""What the workers report after each job, and the interface of whoever records it.

The task functions call a sink synchronously after answering the job; a sink must never block
or raise (the recorder buffers in memory and writes to Postgres off the job's path).
"""

from enum import StrEnum
from typing import Protocol

from pyzeebe import Job

from workers.routing import Decision


class Outcome(StrEnum):
    """How one verification job ended, as recorded per version."""

    VERIFIED = "verified"
    REJECTED = "rejected"  # business outcome: IDENTITY_REJECTED boundary
    UNREADABLE = "unreadable"  # business outcome: DOCUMENT_UNREADABLE boundary
    TRANSIENT_FAILURE = "transient_failure"  # job failed, retries left
    INCIDENT = "incident"  # job failed with no retries left, or its input was invalid


class DecisionSink(Protocol):
    def record_decision(self, job: Job, rollout: str, decision: Decision) -> None: ...


class OutcomeSink(Protocol):
    def record_outcome(
        self,
        job: Job,
        *,
        version: int,
        outcome: Outcome,
        latency_ms: float | None,
        error_code: str | None = None,
    ) -> None: ...
