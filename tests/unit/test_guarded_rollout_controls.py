"""What `canary rollout pause|resume|promote|abort` may send, and what `status` says, for each
state of a running rollout: the two agree, so a refusal names the phase status shows.

Pure: a `RolloutState` built from element statistics and variables, as Camunda's REST API
reports them (the dev-engine flow tests run the same commands end to end).
"""

from typing import Any

import pytest

from workers.guarded.process import Element, Message, Variable
from workers.operate.camunda_rest import ElementStatistics, ProcessInstance
from workers.operate.guarded_rollouts import RolloutState, refusal, takes

SCOPE = (Element.STEPS,)


def rollout(*active: Element, running: bool = True, **variables: Any) -> RolloutState:
    state = "ACTIVE" if running else "COMPLETED"
    instance = ProcessInstance("1", "9", state, None, None, has_incident=False)
    elements = {e.value: ElementStatistics(e.value, 1, 0, 0, 0) for e in active}
    return RolloutState("web", instance, elements, dict(variables), step=None)


BAKING = rollout(*SCOPE, Element.WAIT_FOR_LOOK)
APPROVAL = rollout(*SCOPE, Element.APPROVE_STEP)
PAUSED_BAKING = rollout(*SCOPE, Element.WAIT_FOR_LOOK, **{Variable.PAUSED: True})
PAUSED_APPROVAL = rollout(*SCOPE, Element.APPROVE_STEP, **{Variable.PAUSED: True})
HELD = rollout(*SCOPE, Element.RESUMED, **{Variable.PAUSED: True})
BY_HAND = rollout(*SCOPE, Element.RESUMED_AFTER_MANUAL)
PROMOTING = rollout(Element.SET_RATE_FULL)
STARTING = rollout(Element.NOTIFY_STARTED)
PAUSED_IN_A_JOB = rollout(*SCOPE, Element.NOTIFY_STEP, **{Variable.PAUSED: True})


@pytest.mark.parametrize(
    ("state", "phase"),
    [
        (BAKING, "baking"),
        (APPROVAL, "waiting for approval"),
        (PAUSED_BAKING, "paused"),
        (PAUSED_APPROVAL, "paused (its approval still open)"),
        (HELD, "paused"),
        (BY_HAND, "paused: the rate was changed by hand; resume sets the step's rate again"),
        (PROMOTING, "promoting"),
        (rollout(*SCOPE, Element.WAIT_FOR_LOOK, **{Variable.PAUSED: False}), "baking"),
    ],
)
def test_status_names_the_phase(state: RolloutState, phase: str) -> None:
    assert state.phase == phase


@pytest.mark.parametrize("state", [BAKING, APPROVAL, HELD, BY_HAND, PAUSED_APPROVAL])
def test_promote_full_and_abort_are_taken_in_every_state_of_a_step(state: RolloutState) -> None:
    for message in (Message.PROMOTE_FULL, Message.ABORT):
        assert refusal(message, state) is None
        assert takes(message, state)


@pytest.mark.parametrize("state", [BAKING, APPROVAL])
def test_a_running_rollout_takes_pause_and_refuses_resume(state: RolloutState) -> None:
    assert refusal(Message.PAUSE, state) is None
    assert takes(Message.PAUSE, state)
    assert refusal(Message.RESUME, state) == (
        f"guarded rollout 'web' is {state.phase}: resume is taken only while it is paused;"
        " nothing was sent"
    )


@pytest.mark.parametrize("state", [PAUSED_BAKING, PAUSED_APPROVAL, HELD, BY_HAND])
def test_a_paused_rollout_takes_resume_and_refuses_a_second_pause(state: RolloutState) -> None:
    assert refusal(Message.RESUME, state) is None
    assert takes(Message.RESUME, state)
    refused = refusal(Message.PAUSE, state)
    assert refused is not None
    assert refused.startswith(f"guarded rollout 'web' is {state.phase}: pause is not taken twice")


def test_on_its_way_to_an_end_only_abort_is_taken() -> None:
    for message in (Message.PAUSE, Message.RESUME, Message.PROMOTE_FULL):
        assert refusal(message, PROMOTING) == (
            f"guarded rollout 'web' is promoting: {message.value.removeprefix('guarded-rollout-')}"
            " is not taken any more; nothing was sent"
        )
    assert refusal(Message.ABORT, PROMOTING) is None


def test_between_two_points_that_take_it_the_command_waits_rather_than_refuses() -> None:
    # Before the first step (notify "started" running), and a paused step's job in flight.
    for message in (Message.PAUSE, Message.PROMOTE_FULL):
        assert refusal(message, STARTING) is None
        assert not takes(message, STARTING)
    assert refusal(Message.RESUME, PAUSED_IN_A_JOB) is None
    assert not takes(Message.RESUME, PAUSED_IN_A_JOB)


def test_an_ended_rollout_takes_nothing() -> None:
    ended = rollout(running=False)
    for message in (Message.PAUSE, Message.RESUME, Message.PROMOTE_FULL, Message.ABORT):
        assert refusal(message, ended) == "guarded rollout 'web' ended meanwhile (canceled)"
