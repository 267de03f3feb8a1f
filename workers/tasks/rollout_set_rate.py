"""The guarded rollout's `set rate` job: write the step's rate (or 0, or 100 %) to the store.

Thin glue over `workers.guarded.rate_step`. The task header ``action`` says which rate (only
``step`` checks for a change by hand; ``resume`` sets the step's rate after the person who
paused the rollout resumed it; ``promote``, ``rollback`` and ``abort`` just act); the
change is audited as ``rollout:<process instance key>`` with a reason naming the step and the
last verdict. In a dry run nothing is written: the job only reports what it would have set.

Variables it returns (process.Variable): ``rateSet`` (what happened), ``expectedRate`` (what
the rollout left, for the next check), ``rateChangedByHand`` and ``manualRate`` (the process
pauses on a hand change), and at the start of a step ``currentStep`` (the step, at the root
scope), ``stepStartedAt`` (the database's clock,
where the step's figures start), ``stepLooks`` = 0, ``figures`` = null, ``holdStarted`` = false.
"""

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

import psycopg
import structlog
from pyzeebe import Job

from workers.guarded.process import ACTION_HEADER, SetRateAction, Variable
from workers.guarded.rate_step import RateStep, apply_rate, change_reason, target_rate
from workers.tasks.job_context import job_fields
from workers.tasks.rollout_failures import RolloutTask

log = structlog.get_logger(__name__)

Connector = Callable[[], AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]]


def rollout_actor(job: Job) -> str:
    return f"rollout:{job.process_instance_key}"


def rollout_versions(variables: Mapping[str, Any]) -> tuple[int, int] | None:
    """The (baseline, canary) the rollout was started with; None for a rollout started before
    the pair was a process variable (its routing rollout keeps the pair it has)."""
    pair = [variables.get(Variable.BASELINE_VERSION), variables.get(Variable.CANARY_VERSION)]
    if all(isinstance(v, int | float) and float(v).is_integer() for v in pair):
        return int(pair[0]), int(pair[1])  # type: ignore[arg-type] # checked just above
    return None


def rate_variables(
    action: SetRateAction, step: RateStep, *, target: float, current: Any = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {
        Variable.RATE_SET: {
            "action": action.value,
            "target": target,
            "before": step.before,
            "after": step.after,
            "written": step.written,
            "versionsBefore": list(step.versions_before),
            "versionsAfter": list(step.versions_after),
        },
        Variable.RATE_CHANGED_BY_HAND: step.changed_by_hand,
        Variable.MANUAL_RATE: step.before if step.changed_by_hand else None,
    }
    if step.changed_by_hand:
        return variables
    variables[Variable.EXPECTED_RATE] = step.after
    if action in (SetRateAction.STEP, SetRateAction.RESUME):
        variables |= {
            Variable.CURRENT_STEP: current,
            Variable.STEP_STARTED_AT: step.at.isoformat(),
            Variable.STEP_LOOKS: 0,
            Variable.FIGURES: None,
            Variable.HOLD_STARTED: False,
        }
    return variables


def make_set_rate(connect: Connector) -> RolloutTask:
    """The task function, closed over how it gets a connection; callable without a worker."""

    async def set_rate(job: Job, **_variables: Any) -> dict[str, Any]:
        variables = job.variables
        action = SetRateAction(str(job.custom_headers.get(ACTION_HEADER, "")))
        rollout = str(variables[Variable.ROLLOUT_NAME])
        target = target_rate(action, variables.get(Variable.STEP))
        expected = variables.get(Variable.EXPECTED_RATE)
        if action is not SetRateAction.STEP or not isinstance(expected, int | float):
            expected = None  # only a step checks for a hand change; the others just act
        dry_run = bool(variables.get(Variable.DRY_RUN))
        # Every action writes the rollout's pair (a no-op once the first step has): promote
        # --full or abort before the first step's rate (during its approval, say) must route
        # everyone by the pair the rollout was started with, not the one before it. A step
        # refuses to move the pair mid-canary (`start` checks first); the others must never
        # fail, so from a rate a person set in between they keep the pair it routes by.
        versions = rollout_versions(variables)
        async with connect() as conn:
            step = await apply_rate(
                conn,
                rollout,
                target=target,
                expected=None if expected is None else float(expected),
                actor=rollout_actor(job),
                reason=change_reason(action, variables),
                dry_run=dry_run,
                versions=versions,
                pair_only_at_the_ends=action is not SetRateAction.STEP,
            )
        log.info(
            "rollout rate",
            **job_fields(job),
            rollout=rollout,
            action=action.value,
            target=target,
            before=step.before,
            after=step.after,
            written=step.written,
            changed_by_hand=step.changed_by_hand,
            dry_run=dry_run,
        )
        return rate_variables(action, step, target=target, current=variables.get(Variable.STEP))

    return set_rate
