"""The guarded rollout's `set rate` and `analyse` jobs against a real Postgres.

Each test runs the task function directly on a job shaped like the model's (no worker, no
engine): the database is real, so the audit trail, the locking and the query are too.
"""

from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from rollout_jobs import connector, in_step, rollout_job, seed, started_variables

from workers.errors import DatabaseUnavailableError, InputError
from workers.guarded.process import Element, Variable
from workers.postgres import rollout_store
from workers.tasks.rollout_analyse import make_analyse
from workers.tasks.rollout_set_rate import make_set_rate

pytestmark = pytest.mark.postgres


async def rate_of(db: psycopg.AsyncConnection[Any]) -> float:
    return (await rollout_store.get_rollout(db, "verifymenow")).rate


async def rate_set_by_hand(db: psycopg.AsyncConnection[Any], rate: float) -> None:
    await rollout_store.set_rate(db, "verifymenow", rate=rate, actor="ops", reason="by hand")


# -- set rate ---------------------------------------------------------------------------------


async def test_set_rate_writes_the_steps_rate_audited_as_the_rollout(database_url, db):
    variables = in_step(started_variables(steps="5%,50%"), 1)
    job = rollout_job(Element.SET_RATE, variables)
    result = await make_set_rate(connector(database_url))(job)

    assert await rate_of(db) == 0.05
    [entry, *_] = await rollout_store.history(db, "verifymenow")
    assert entry.changed_by == f"rollout:{job.process_instance_key}"
    assert entry.reason == "guarded rollout step 1 of 3: 5%"
    assert (entry.old_rate, entry.new_rate) == (0.0, 0.05)
    assert result[Variable.RATE_SET] == {
        "action": "step",
        "target": 0.05,
        "before": 0.0,
        "after": 0.05,
        "written": True,
        "versionsBefore": [1, 2],
        "versionsAfter": [1, 2],
    }
    assert result[Variable.EXPECTED_RATE] == 0.05
    assert result[Variable.RATE_CHANGED_BY_HAND] is False
    assert result[Variable.STEP_LOOKS] == 0
    assert result[Variable.FIGURES] is None
    started = datetime.fromisoformat(result[Variable.STEP_STARTED_AT])
    assert started == entry.changed_at  # the step's window starts at the change itself


async def test_the_first_step_writes_the_rollouts_pair_audited(database_url, db):
    """After 1 -> 2 at 100 %, a rollout started with --baseline 2 --canary 3 moves the pair."""
    await rate_set_by_hand(db, 1.0)
    variables = in_step(started_variables(steps="5%,50%", baseline_version=2, canary_version=3), 1)
    job = rollout_job(Element.SET_RATE, variables)
    result = await make_set_rate(connector(database_url))(job)

    row = await rollout_store.get_rollout(db, "verifymenow")
    assert (row.rate, row.versions) == (0.05, (2, 3))
    [entry, *_] = await rollout_store.history(db, "verifymenow")
    assert entry.changed_by == f"rollout:{job.process_instance_key}"
    assert entry.reason == "guarded rollout step 1 of 3: 5%; versions v1:v2 -> v2:v3"
    assert (entry.old_baseline_version, entry.old_canary_version) == (1, 2)
    assert (entry.new_baseline_version, entry.new_canary_version) == (2, 3)
    assert result[Variable.RATE_SET]["versionsAfter"] == [2, 3]


async def test_a_step_never_moves_the_pair_mid_canary(database_url, db):
    """The rate is between 0 and 1 on 1:2: a new pair would re-route live subjects."""
    await rate_set_by_hand(db, 0.3)
    variables = in_step(started_variables(steps="5%,50%", baseline_version=2, canary_version=3), 1)
    with pytest.raises(InputError, match="change its versions"):
        await make_set_rate(connector(database_url))(rollout_job(Element.SET_RATE, variables))
    row = await rollout_store.get_rollout(db, "verifymenow")
    assert (row.rate, row.versions) == (0.3, (1, 2))


async def test_the_reason_carries_the_last_verdict_and_its_figures(database_url, db):
    variables = in_step(started_variables(steps="5%,50%"), 2) | {
        Variable.VERDICT: "promote",
        Variable.FIGURES: {
            "step": 1,
            "baseline": {"attempts": 950, "failures": 9, "incidents": 0},
            "canary": {"attempts": 50, "failures": 1, "incidents": 0},
        },
        Variable.EXPECTED_RATE: 0.05,
    }
    await rate_set_by_hand(db, 0.05)
    await make_set_rate(connector(database_url))(rollout_job(Element.SET_RATE, variables))
    [entry, *_] = await rollout_store.history(db, "verifymenow")
    assert entry.reason == (
        "guarded rollout step 2 of 3: 50% (last verdict: promote; v1 9/950 failures, v2 1/50)"
    )


async def test_dry_run_writes_nothing_and_reports_what_it_would_set(database_url, db):
    await rate_set_by_hand(db, 0.02)
    variables = in_step(started_variables(steps="5%", dry_run=True), 1)
    result = await make_set_rate(connector(database_url))(rollout_job(Element.SET_RATE, variables))

    assert await rate_of(db) == 0.02
    assert len(await rollout_store.history(db, "verifymenow")) == 2  # created + by hand
    assert result[Variable.RATE_SET]["target"] == 0.05
    assert result[Variable.RATE_SET]["written"] is False
    # The next step compares with the rate as it is, so the dry run does not pause itself.
    assert result[Variable.EXPECTED_RATE] == 0.02


async def test_a_rate_changed_by_hand_is_reported_and_left_alone(database_url, db):
    await rate_set_by_hand(db, 0.3)
    variables = in_step(started_variables(steps="5%,50%"), 2) | {Variable.EXPECTED_RATE: 0.05}
    result = await make_set_rate(connector(database_url))(rollout_job(Element.SET_RATE, variables))

    assert await rate_of(db) == 0.3
    assert result[Variable.RATE_CHANGED_BY_HAND] is True
    assert result[Variable.MANUAL_RATE] == 0.3
    assert Variable.STEP_STARTED_AT not in result  # the step has not begun
    assert Variable.EXPECTED_RATE not in result  # the resume clears it, not this job


async def test_resuming_after_a_hand_change_sets_the_steps_rate_and_starts_the_step(
    database_url, db
):
    await rate_set_by_hand(db, 0.3)
    variables = in_step(started_variables(steps="5%,50%"), 2) | {Variable.EXPECTED_RATE: 0.05}
    result = await make_set_rate(connector(database_url))(
        rollout_job(Element.SET_RATE_RESUMED, variables)
    )
    assert await rate_of(db) == 0.5
    assert result[Variable.RATE_CHANGED_BY_HAND] is False
    assert result[Variable.EXPECTED_RATE] == 0.5
    assert Variable.STEP_STARTED_AT in result
    [entry, *_] = await rollout_store.history(db, "verifymenow")
    assert entry.reason == "guarded rollout step 2 of 3: 50%, resumed after a change by hand"


async def test_a_redelivered_job_finding_its_own_rate_is_not_a_hand_change(database_url, db):
    await rate_set_by_hand(db, 0.05)  # where step 1 left it
    variables = in_step(started_variables(steps="5%,50%"), 2) | {Variable.EXPECTED_RATE: 0.05}
    task = make_set_rate(connector(database_url))
    first = await task(rollout_job(Element.SET_RATE, variables))
    again = await task(rollout_job(Element.SET_RATE, variables))  # same variables: redelivery
    assert first[Variable.RATE_CHANGED_BY_HAND] is False
    assert again[Variable.RATE_CHANGED_BY_HAND] is False
    assert again[Variable.RATE_SET]["written"] is False
    assert await rate_of(db) == 0.5


@pytest.mark.parametrize("element", [Element.SET_RATE_ROLLBACK, Element.SET_RATE_ABORT])
async def test_rollback_and_abort_set_zero_even_after_a_hand_change(database_url, db, element):
    await rate_set_by_hand(db, 0.4)
    variables = in_step(started_variables(steps="5%,50%"), 2) | {
        Variable.EXPECTED_RATE: 0.5,
        Variable.VERDICT_REASONS: ["v2 fails more often than v1"],
        Variable.ABORT_REASON: "release cancelled",
    }
    result = await make_set_rate(connector(database_url))(rollout_job(element, variables))
    assert await rate_of(db) == 0.0
    assert result[Variable.RATE_CHANGED_BY_HAND] is False
    [entry, *_] = await rollout_store.history(db, "verifymenow")
    expected = (
        "guarded rollout rolled back at step 2 of 3: v2 fails more often than v1"
        if element is Element.SET_RATE_ROLLBACK
        else "guarded rollout aborted at step 2 of 3: release cancelled"
    )
    assert entry.reason == expected


async def test_promote_full_sets_100_percent(database_url, db):
    # After the loop: no `step` in scope, promoteFull set by the message's catch event.
    variables = started_variables(steps="5%,50%") | {Variable.PROMOTE_FULL: True}
    await make_set_rate(connector(database_url))(rollout_job(Element.SET_RATE_FULL, variables))
    assert await rate_of(db) == 1.0
    [entry, *_] = await rollout_store.history(db, "verifymenow")
    assert entry.reason == "guarded rollout promoted: 100% on request (promote --full)"


@pytest.mark.parametrize(
    ("element", "rate"), [(Element.SET_RATE_FULL, 1.0), (Element.SET_RATE_ABORT, 0.0)]
)
async def test_promote_full_or_abort_before_the_first_step_writes_the_rollouts_pair(
    database_url, db, element, rate
):
    """After 1 -> 2 at 100 %, a rollout of 2 -> 3 promoted or aborted during its first
    approval routes everyone to v3 or to v2, never back to v1 or v2 of the old pair."""
    await rate_set_by_hand(db, 1.0)
    variables = started_variables(steps="5%,50%", baseline_version=2, canary_version=3) | {
        Variable.PROMOTE_FULL: element is Element.SET_RATE_FULL,
        Variable.ABORT_REASON: "not this one",
    }
    await make_set_rate(connector(database_url))(rollout_job(element, variables))
    row = await rollout_store.get_rollout(db, "verifymenow")
    assert (row.rate, row.versions) == (rate, (2, 3))
    [entry, *_] = await rollout_store.history(db, "verifymenow")
    assert entry.reason.endswith("; versions v1:v2 -> v2:v3")


async def test_abort_keeps_the_pair_of_a_rate_a_person_set_in_between(database_url, db):
    """Mid-canary a new pair would re-route live subjects; abort must not fail for it."""
    await rate_set_by_hand(db, 0.3)
    variables = started_variables(steps="5%,50%", baseline_version=2, canary_version=3)
    await make_set_rate(connector(database_url))(rollout_job(Element.SET_RATE_ABORT, variables))
    row = await rollout_store.get_rollout(db, "verifymenow")
    assert (row.rate, row.versions) == (0.0, (1, 2))


async def test_an_unknown_rollout_fails_the_job_and_changes_nothing(database_url, db):
    variables = in_step(started_variables("nosuch", steps="5%"), 1)
    with pytest.raises(InputError, match="unknown rollout 'nosuch'"):
        await make_set_rate(connector(database_url))(rollout_job(Element.SET_RATE, variables))
    assert await rate_of(db) == 0.0


# -- analyse ----------------------------------------------------------------------------------


async def started_step(database_url: str, **plan: Any) -> dict[str, Any]:
    """Variables after `set rate` began step 1 of a plan."""
    variables = in_step(started_variables(**plan), 1)
    result = await make_set_rate(connector(database_url))(rollout_job(Element.SET_RATE, variables))
    return variables | result


async def test_analyse_counts_only_the_steps_outcomes_and_holds_on_thin_data(database_url, db):
    variables = await started_step(
        database_url, steps="5%", interval="1m", bake="2m", min_attempts=100
    )
    started = datetime.fromisoformat(variables[Variable.STEP_STARTED_AT])
    await seed(db, version=2, attempts=500, failures=400, at=started - timedelta(seconds=1))
    await seed(db, version=1, attempts=300, failures=3, at=started + timedelta(seconds=5))
    await seed(db, version=2, attempts=20, at=started + timedelta(seconds=5))
    analyse = make_analyse(connector(database_url))

    first = await analyse(rollout_job(Element.ANALYSE, variables))
    assert first[Variable.VERDICT] == "continue"
    assert first[Variable.VERDICT_REASONS] == ["baking: 60 s of 120 s", "v2 has 20 of 100 attempts"]
    baseline = first[Variable.FIGURES]["baseline"]
    assert {k: v for k, v in baseline.items() if k != "p95Ms"} == {
        "attempts": 300,
        "failures": 3,
        "incidents": 0,
    }
    assert baseline["p95Ms"] == pytest.approx(100.0, rel=0.01)  # the latency sketch: 1 %
    assert first[Variable.FIGURES]["canary"]["failures"] == 0  # the 400 came before the step
    assert first[Variable.STEP_LOOKS] == 1
    assert first[Variable.HOLD_STARTED] is False

    second = await analyse(rollout_job(Element.ANALYSE, variables | first))
    assert second[Variable.VERDICT] == "continue"
    assert second[Variable.HOLD_STARTED] is True  # bake over, still thin: notify once
    third = await analyse(rollout_job(Element.ANALYSE, variables | first | second))
    assert third[Variable.HOLD_STARTED] is False
    assert third[Variable.STEP_LOOKS] == 3


async def test_analyse_promotes_after_the_bake_with_enough_alike_attempts(database_url, db):
    variables = await started_step(database_url, steps="50%", interval="1m", bake="1m")
    started = datetime.fromisoformat(variables[Variable.STEP_STARTED_AT])
    await seed(db, version=1, attempts=500, failures=5, at=started + timedelta(seconds=1))
    await seed(db, version=2, attempts=500, failures=5, at=started + timedelta(seconds=1))
    result = await make_analyse(connector(database_url))(rollout_job(Element.ANALYSE, variables))
    assert result[Variable.VERDICT] == "promote"
    assert result[Variable.EVIDENCE]["failureLlr"] < 0


async def test_analyse_rolls_back_a_failing_canary_before_the_bake(database_url, db):
    variables = await started_step(database_url, steps="10%", interval="1m", bake="1h")
    started = datetime.fromisoformat(variables[Variable.STEP_STARTED_AT])
    await seed(db, version=1, attempts=900, failures=9, at=started + timedelta(seconds=1))
    await seed(db, version=2, attempts=100, failures=12, at=started + timedelta(seconds=1))
    result = await make_analyse(connector(database_url))(rollout_job(Element.ANALYSE, variables))
    assert result[Variable.VERDICT] == "rollback"
    assert result[Variable.VERDICT_REASONS][0].startswith("v2 fails more often than v1")


async def test_analyse_with_postgres_down_raises_and_returns_no_verdict(database_url, pg_proxy):
    proxy, url = pg_proxy
    variables = await started_step(database_url, steps="10%")
    proxy.down()
    with pytest.raises(DatabaseUnavailableError, match="cannot reach Postgres"):
        await make_analyse(connector(url))(rollout_job(Element.ANALYSE, variables))
