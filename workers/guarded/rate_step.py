"""What a guarded rollout's `set rate` job does to the rollout store, in one transaction.

The rollout row is locked first, so a person's `canary rate set` either lands before (and is
then seen as a change by hand) or waits until this transaction is done. The write itself goes
through `rollout_store.set_rate`, so it is audited like any other change: the actor is
``rollout:<process instance key>``, the reason names the step and the last verdict.

Every `set rate` also writes the rollout's (baseline, canary) pair when it differs: the first
step of a rollout started with ``--baseline 2 --canary 3`` moves the routing rollout from 1:2
to 2:3 in the same audited change as the step's rate; a promote --full or an abort before
that step (during its approval) does the same at 100 % or 0. The store allows a new pair only
from rate 0 or 100 % (`canary rollout start` checks it before it starts anything).
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import psycopg

from workers.guarded.analysis import VersionFigures
from workers.guarded.notification import reasons_of, step_of
from workers.guarded.process import SetRateAction, StepKey, Variable
from workers.postgres import rollout_store
from workers.routing import format_pair, format_rate

#: The rollout store refuses longer reasons.
_MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class RateStep:
    """What happened: the rate before and after, and whether a person had changed it."""

    before: float
    after: float
    #: The store was written (False in a dry run, when nothing changed, or on a hand change).
    written: bool
    #: The rate differs from what this rollout last left it at, and from the target.
    changed_by_hand: bool
    #: The database's clock at the change: where the step's figures start.
    at: datetime
    #: The routing rollout's (baseline, canary) before and after.
    versions_before: tuple[int, int] = (1, 2)
    versions_after: tuple[int, int] = (1, 2)


def changed_by_hand(*, current: float, expected: float | None, target: float) -> bool:
    """A person changed the rate since this rollout last set it.

    `expected` is the rate the rollout left (None: nothing to compare, e.g. the first step or
    after a resume). A rate already at the target is not reported: it is harmless, and it is
    what a redelivered `set rate` job finds after its first delivery wrote the rate.
    """
    return expected is not None and current not in (expected, target)


async def apply_rate(
    conn: psycopg.AsyncConnection[Any],
    rollout: str,
    *,
    target: float,
    expected: float | None,
    actor: str,
    reason: str,
    dry_run: bool,
    versions: tuple[int, int] | None = None,
    pair_only_at_the_ends: bool = False,
) -> RateStep:
    """Set `rollout`'s rate to `target` (and its pair to `versions`, when given) unless a
    person changed the rate (then change nothing).

    With `pair_only_at_the_ends`, a new pair is written only from rate 0 or 100 % and kept
    otherwise, where the store would refuse it: for the actions that must never fail.
    """
    async with conn.transaction():
        row = await rollout_store.get_rollout(conn, rollout, for_update=True)
        current, pair = row.rate, row.versions
        cur = await conn.execute("SELECT now()")
        now = await cur.fetchone()
        assert now is not None  # noqa: S101 - SELECT now() always returns one row
        at: datetime = now[0]
        unchanged = RateStep(
            current,
            current,
            written=False,
            changed_by_hand=False,
            at=at,
            versions_before=pair,
            versions_after=pair,
        )
        if changed_by_hand(current=current, expected=expected, target=target):
            return replace(unchanged, changed_by_hand=True)
        if dry_run:
            return unchanged
        if pair_only_at_the_ends and 0.0 < current < 1.0:
            versions = None
        if versions is not None and versions != pair:
            reason = f"{reason}; versions {format_pair(*pair)} -> {format_pair(*versions)}"
        change = await rollout_store.set_rate(
            conn, rollout, rate=target, actor=actor, reason=reason[:_MAX_REASON], versions=versions
        )
        return replace(
            unchanged,
            after=target,
            written=change.changed,
            versions_after=change.rollout.versions,
        )


def target_rate(action: SetRateAction, step: Any) -> float:
    """The rate an action sets: the step's, 100 % on promotion, 0 on rollback and abort."""
    if action is SetRateAction.PROMOTE:
        return 1.0
    if action in (SetRateAction.ROLLBACK, SetRateAction.ABORT):
        return 0.0
    if not isinstance(step, dict) or not isinstance(step.get(StepKey.RATE), int | float):
        raise TypeError("process variable step has no rate: start the rollout with a plan")
    rate = float(step[StepKey.RATE])
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"step rate {rate!r} is outside 0..1")
    return rate


def _figures(variables: Mapping[str, Any]) -> str:
    figures = variables.get(Variable.FIGURES)
    if not isinstance(figures, dict):
        return ""
    base_v = variables.get(Variable.BASELINE_VERSION, 1)
    canary_v = variables.get(Variable.CANARY_VERSION, 2)
    base = VersionFigures.from_json(figures.get("baseline"))
    canary = VersionFigures.from_json(figures.get("canary"))
    return (
        f"; v{base_v} {base.failures}/{base.attempts} failures,"
        f" v{canary_v} {canary.failures}/{canary.attempts}"
    )


def change_reason(action: SetRateAction, variables: Mapping[str, Any]) -> str:
    """The audit trail's reason: the step, and the last verdict with its figures."""
    step = variables.get(Variable.STEP)
    where = f" {step_of(variables)}" if step_of(variables) else ""
    verdict = variables.get(Variable.VERDICT)
    why = reasons_of(variables)
    last = f" (last verdict: {verdict}{_figures(variables)})" if verdict else ""
    if action is SetRateAction.STEP:
        rate = format_rate(target_rate(action, step))
        text = f"guarded rollout{where}: {rate}{last}"
    elif action is SetRateAction.RESUME:
        rate = format_rate(target_rate(action, step))
        text = f"guarded rollout{where}: {rate}, resumed after a change by hand"
    elif action is SetRateAction.PROMOTE:
        early = " on request (promote --full)" if variables.get(Variable.PROMOTE_FULL) else ""
        text = f"guarded rollout promoted: 100%{early}{last}"
    elif action is SetRateAction.ROLLBACK:
        text = f"guarded rollout rolled back at{where}: {why or 'v2 worse'}{_figures(variables)}"
    else:
        abort = variables.get(Variable.ABORT_REASON) or "no reason given"
        text = f"guarded rollout aborted at{where or ' start'}: {abort}"
    return text[:_MAX_REASON]
