"""The `choose-version` job: route the process instance to v1 or v2 of the integration.

Reads nothing but memory (the `RolloutCache` snapshot), never fails: with no usable config it
answers the fallback version. Sets ``useVersion`` as a NUMBER (the gateway condition is
``= useVersion = 2``; a string would make FEEL compare different types and raise an incident)
plus ``canaryBucket``, ``canaryRate`` and ``canaryRule`` so Operate shows why.

The rollout followed is the ``rollout`` task header when the model sets one, else the
configured default, so one worker can serve several canaries in one process.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

import structlog
from pyzeebe import Job, ZeebeTaskRouter

from workers import process
from workers.postgres.outcomes import DecisionSink
from workers.routing import Decision, subject_key
from workers.tasks.job_context import job_fields

log = structlog.get_logger(__name__)


class Decider(Protocol):
    def decide(self, rollout: str, subject: str) -> Decision: ...


ChooseVersion = Callable[..., Awaitable[dict[str, Any]]]


def decision_variables(decision: Decision) -> dict[str, object]:
    """The process variables a choose-version job sets; `useVersion` is a NUMBER."""
    return {
        process.USE_VERSION: decision.version,
        process.CANARY_BUCKET: decision.bucket,
        process.CANARY_RATE: decision.rate,
        process.CANARY_RULE: decision.rule.value,
    }


def make_choose_version(
    decider: Decider,
    *,
    default_rollout: str,
    subject_variable: str,
    sink: DecisionSink | None = None,
) -> ChooseVersion:
    """The task function, closed over its collaborators; callable without a worker."""

    async def choose_version(job: Job, **_variables: Any) -> dict[str, Any]:
        rollout = str(job.custom_headers.get(process.ROLLOUT_HEADER) or default_rollout)
        subject = subject_key(
            job.variables,
            variable=subject_variable,
            process_instance_key=job.process_instance_key,
        )
        decision = decider.decide(rollout, subject)
        # One line per job, so the identifiers go straight into it: binding them to
        # contextvars and back costs more than the whole decision.
        log.info(
            "version chosen",
            **job_fields(job),
            version=decision.version,
            rollout=rollout,
            rule=decision.rule.value,
            bucket=decision.bucket,
            rate=decision.rate,
        )
        if sink is not None:
            sink.record_decision(job, rollout, decision)
        return decision_variables(decision)

    return choose_version


def register_choose_version(
    router: ZeebeTaskRouter,
    task: ChooseVersion,
    *,
    subject_variable: str,
    timeout_ms: int = 10_000,
    max_jobs: int = 64,
) -> None:
    """Serve `choose-version` on `router`, fetching only the subject variable."""
    router.task(
        process.CHOOSE_VERSION,
        variables_to_fetch=[subject_variable],
        timeout_ms=timeout_ms,
        # Activate in smaller batches than may run: pyzeebe's poller sleeps whenever the
        # running jobs reach max_running_jobs, so equal numbers stall it after every batch.
        max_jobs_to_activate=max(1, max_jobs // 2),
        max_running_jobs=max_jobs,
    )(cast("Callable[..., Any]", task))  # pyzeebe's Function union does not accept `...`
