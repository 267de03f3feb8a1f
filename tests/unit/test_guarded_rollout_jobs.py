"""The guarded rollout's jobs without a database: failures with backoff, texts and reasons."""

import random

import pytest
from pyzeebe import JobController
from rollout_jobs import in_step, rollout_job, started_variables
from verify_support import FakeZeebeAdapter

from workers.errors import DatabaseUnavailableError
from workers.guarded.notification import event_payload, event_text
from workers.guarded.process import (
    ANALYSE_RETRIES,
    Element,
    NotifyEvent,
    SetRateAction,
    Variable,
)
from workers.guarded.rate_step import change_reason, changed_by_hand, target_rate
from workers.tasks.rollout_failures import make_rollout_exception_handler

STEP_2 = in_step(started_variables(steps="5%,50%"), 2)


async def fail(exc: Exception, *, retries: int) -> dict:
    adapter = FakeZeebeAdapter()
    job = rollout_job(Element.ANALYSE, STEP_2, retries=retries)
    handler = make_rollout_exception_handler(attempts=ANALYSE_RETRIES, rng=random.Random(7))
    await handler(exc, job, JobController(job, adapter))
    kind, call = adapter.only_call()
    assert kind == "fail_job"
    return call


async def test_a_database_outage_fails_analyse_with_backoff_and_a_retry_left():
    outage = DatabaseUnavailableError("cannot reach Postgres at db:5432/canary: refused")
    call = await fail(outage, retries=ANALYSE_RETRIES)
    assert call["retries"] == ANALYSE_RETRIES - 1
    assert 1000 <= call["retry_back_off_ms"] <= 5000  # first retry: within 5 s, at least 1 s
    assert call["message"] == (
        "rollout-analyse failed: cannot reach Postgres at db:5432/canary: refused"
        f" ({ANALYSE_RETRIES - 1} retries left)"
    )


async def test_backoff_grows_with_each_failed_attempt_up_to_a_minute():
    outage = DatabaseUnavailableError("down")
    late = await fail(outage, retries=2)  # the fifth attempt: full jitter below 60 s
    assert 1000 <= late["retry_back_off_ms"] <= 60_000


async def test_the_last_retry_raises_the_incident_at_once():
    call = await fail(DatabaseUnavailableError("down"), retries=1)
    assert call["retries"] == 0
    assert call["retry_back_off_ms"] == 0


async def test_a_bug_is_reported_by_type_name_only():
    call = await fail(ZeroDivisionError("secret value 42"), retries=3)
    assert "secret value" not in call["message"]
    assert "unexpected ZeroDivisionError" in call["message"]


# -- set rate: what it aims for and how it explains itself ------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (SetRateAction.STEP, 0.5),
        (SetRateAction.RESUME, 0.5),
        (SetRateAction.PROMOTE, 1.0),
        (SetRateAction.ROLLBACK, 0.0),
        (SetRateAction.ABORT, 0.0),
    ],
)
def test_each_action_has_its_target_rate(action, expected):
    assert target_rate(action, STEP_2[Variable.STEP]) == expected


def test_a_step_without_a_rate_is_refused():
    with pytest.raises(TypeError, match="step has no rate"):
        target_rate(SetRateAction.STEP, None)


@pytest.mark.parametrize(
    ("current", "expected", "target", "by_hand"),
    [
        (0.05, 0.05, 0.5, False),  # as the rollout left it
        (0.3, 0.05, 0.5, True),  # someone moved it
        (0.5, 0.05, 0.5, False),  # already at the target: a redelivery, or harmless
        (0.3, None, 0.5, False),  # nothing to compare with (first step, after a resume)
    ],
)
def test_hand_changes(current, expected, target, by_hand):
    assert changed_by_hand(current=current, expected=expected, target=target) is by_hand


def test_reasons_fit_the_rollout_stores_limit():
    long_reason = STEP_2 | {Variable.ABORT_REASON: "x" * 2000}
    assert len(change_reason(SetRateAction.ABORT, long_reason)) == 500


# -- notify: what people read -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "variables", "text"),
    [
        (
            NotifyEvent.STARTED,
            STEP_2,
            "Guarded rollout verifymenow started: 5% -> 50% -> 100%",
        ),
        (NotifyEvent.STEP, STEP_2, "Guarded rollout verifymenow: step 2 of 3 (50%) begins"),
        (
            NotifyEvent.PAUSED,
            STEP_2 | {Variable.RATE_CHANGED_BY_HAND: True, Variable.MANUAL_RATE: 0.3},
            (
                "Guarded rollout verifymenow paused at step 2 of 3 (50%): the rate was changed by"
                " hand to 30%; resume to go on"
            ),
        ),
        (
            NotifyEvent.HOLD,
            STEP_2 | {Variable.VERDICT_REASONS: ["v2 has 40 of 100 attempts"]},
            "Guarded rollout verifymenow holding at step 2 of 3 (50%): v2 has 40 of 100 attempts",
        ),
        (NotifyEvent.PROMOTED, STEP_2, "Guarded rollout verifymenow promoted: 100% on v2"),
        (
            NotifyEvent.ROLLED_BACK,
            STEP_2 | {Variable.VERDICT_REASONS: ["v2 fails more often than v1"]},
            (
                "Guarded rollout verifymenow ROLLED BACK to 0% at step 2 of 3 (50%):"
                " v2 fails more often than v1"
            ),
        ),
        (
            NotifyEvent.ABORTED,
            STEP_2 | {Variable.ABORT_REASON: "release cancelled", Variable.DRY_RUN: True},
            "Guarded rollout verifymenow aborted, rate 0%: release cancelled (dry run)",
        ),
    ],
)
def test_each_event_reads_as_one_line(event, variables, text):
    assert event_text(event, variables) == text


def test_the_payload_is_slack_compatible_and_carries_the_verdict():
    payload = event_payload(
        NotifyEvent.HOLD,
        STEP_2 | {Variable.VERDICT: "continue"},
        process_instance_key=2251799813690001,
    )
    assert payload["text"].startswith("Guarded rollout verifymenow holding")
    assert payload["event"] == "hold"
    assert payload["processInstanceKey"] == "2251799813690001"  # keys are strings in JSON
    assert payload["verdict"] == "continue"
    assert payload["step"] == {"number": 2, "rate": 0.5, "approve": False, "analyse": True}
