"""Pause, resume, promote --full and abort in every state of a running guarded rollout
(issue 12: "at any state"): waiting for an approval, baking, holding on thin data, paused for
a change by hand, paused by a person. Same world as test_guarded_rollout_flow: the real model
on the dev engine with its clock pinned, the real controller, the commands through the real
parser and handlers, Postgres real.

Each test ends the rollout and checks how (the end event Operate counts) and what it wrote
(the audit trail of the rate: value, actor, reason); refusals are one line, exit 1, and send
nothing (the webhook hears nothing and the rollout stays where it was).
"""

from collections.abc import AsyncIterator

import pytest
from guarded_flow import INTERVAL_MS, Rollouts, controller, rollout_world, settled

from workers.guarded.process import Element, EndEvent, Variable
from workers.operate.guarded_rollouts import RolloutState

pytestmark = [pytest.mark.postgres, pytest.mark.engine]

HEALTHY = {"v1": (300, 3), "v2": (300, 3)}
THIN = {"v1": (10, 0), "v2": (10, 0)}
QUICK = ("--interval", "1m", "--bake", "2m", "--min-attempts", "50")
STEPS = ("--steps", "10%,50%")


@pytest.fixture
async def rollouts(
    zeebe_target, zeebe_client, zeebe_clock, database_url, db
) -> AsyncIterator[Rollouts]:
    async with (
        rollout_world(zeebe_target, zeebe_client, zeebe_clock, db, database_url) as world,
        controller(world.environ),
    ):
        yield world


def paused(state: RolloutState) -> bool:
    """Paused, and the pause announced (its notify job done)."""
    return state.paused and settled(state)


async def ok(world: Rollouts, *argv: str) -> str:
    code, out = await world.canary("rollout", *argv, world.name)
    assert code == 0, out
    return out


async def refused(world: Rollouts, *argv: str) -> str:
    """The command is refused in one line, and the rollout hears nothing of it."""
    before = (await world.state(), world.webhook.events())
    code, out = await world.canary("rollout", *argv, world.name)
    assert code == 1, out
    assert "\n" not in out.strip()
    assert "nothing was sent" in out
    after = await world.state()
    assert (after.phase, after.variables, world.webhook.events()) == (
        before[0].phase,
        before[0].variables,
        before[1],
    )
    return out


async def rates(world: Rollouts) -> list[tuple[float | None, str]]:
    """The rate changes of the audit trail: (new rate, actor: `rollout` or the person)."""
    return [
        (h.new_rate, "rollout" if h.changed_by.startswith("rollout:") else h.changed_by)
        for h in await world.history()
        if h.change == "updated"
    ]


async def pause_by_hand(world: Rollouts) -> None:
    """Start; a person sets 30 % during step 1; step 2's `set rate` finds it and pauses."""
    await world.start(*STEPS, *QUICK)
    code, out = await world.canary("rate", "set", world.name, "30%", "--reason", "hotfix")
    assert code == 0, out
    await world.traffic(**HEALTHY)
    await world.look(2)
    await world.wait(lambda s: s.paused_by_hand and settled(s), "the pause")


async def promote_step(world: Rollouts) -> None:
    """Healthy figures for the step now running (a step judges only its own), two looks."""
    await world.traffic(**HEALTHY)
    await world.look(2)


async def ended(world: Rollouts) -> RolloutState:
    return await world.wait(lambda s: not s.running, "the rollout to end")


async def test_pause_while_an_approval_is_open_holds_after_it_until_resume(
    rollouts: Rollouts,
) -> None:
    await rollouts.start(*STEPS, "--approve-before", "10%", *QUICK)
    # Paused and resumed before anyone approves: back to waiting for the approval.
    await ok(rollouts, "pause")
    state = await rollouts.wait(paused, "the pause")
    assert state.phase == "paused (its approval still open)"
    assert "pause is not taken twice" in await refused(rollouts, "pause")
    await ok(rollouts, "resume")
    await rollouts.wait(lambda s: s.phase == "waiting for approval", "the resume")

    # Paused, then approved: the approval is taken, the rate is not set until resume.
    await ok(rollouts, "pause")
    await rollouts.wait(paused, "the second pause")
    out = await ok(rollouts, "approve")
    assert "approved step 1; it stays paused until resumed" in out
    state = await rollouts.wait(lambda s: s.active(Element.RESUMED_BEFORE_RATE), "the hold")
    assert state.phase == "paused"
    await rollouts.clock.advance(10 * INTERVAL_MS)
    assert await rollouts.rate() == 0.0
    await ok(rollouts, "resume")
    await rollouts.wait(lambda s: s.phase == "baking", "step 1 to bake")
    assert await rollouts.rate() == 0.1

    await promote_step(rollouts)
    await promote_step(rollouts)
    assert (await ended(rollouts)).end is EndEvent.PROMOTED
    assert await rates(rollouts) == [(0.1, "rollout"), (0.5, "rollout"), (1.0, "rollout")]
    assert rollouts.webhook.events().count("paused") == 2


async def test_pause_during_a_bake_stops_the_looks_until_resume(rollouts: Rollouts) -> None:
    await rollouts.start(*STEPS, *QUICK)
    assert "resume is taken only while it is paused" in await refused(rollouts, "resume")
    await rollouts.traffic(**HEALTHY)
    await rollouts.look()  # one look of two
    # Paused and resumed before the interval is up: the bake's wait takes the resume.
    await ok(rollouts, "pause")
    await rollouts.wait(paused, "the pause")
    await ok(rollouts, "resume")
    state = await rollouts.wait(lambda s: not s.paused and settled(s), "the early resume")
    assert state.phase == "baking"
    assert state.elements[Element.RESUMED_WHILE_BAKING].completed == 1

    await ok(rollouts, "pause")
    state = await rollouts.wait(paused, "the pause")
    assert state.phase == "paused"
    await rollouts.clock.advance(10 * INTERVAL_MS)  # the timer fires into the hold: no look
    state = await rollouts.wait(lambda s: s.active(Element.RESUMED), "the hold")
    assert state.variables[Variable.STEP_LOOKS] == 1
    assert await rollouts.rate() == 0.1

    await ok(rollouts, "resume")
    await rollouts.wait(lambda s: s.phase == "baking", "the resume")
    await rollouts.look()  # the look that completes the bake
    assert await rollouts.rate() == 0.5
    await ok(rollouts, "abort", "--reason", "enough")
    assert (await ended(rollouts)).end is EndEvent.ABORTED
    assert await rates(rollouts) == [(0.1, "rollout"), (0.5, "rollout"), (0.0, "rollout")]
    assert rollouts.webhook.events().count("paused") == 2


async def test_pause_during_a_hold_on_thin_data_then_resume_holds_again(
    rollouts: Rollouts,
) -> None:
    await rollouts.start(*STEPS, *QUICK)
    await rollouts.traffic(**THIN)
    state = await rollouts.look(3)
    assert state.phase == "holding: data too thin"
    looks = state.variables[Variable.STEP_LOOKS]
    await ok(rollouts, "pause")
    await rollouts.wait(paused, "the pause")
    await rollouts.clock.advance(5 * INTERVAL_MS)
    state = await rollouts.wait(lambda s: s.active(Element.RESUMED), "the hold")
    assert state.variables[Variable.STEP_LOOKS] == looks

    await ok(rollouts, "resume")
    await rollouts.wait(lambda s: s.phase == "holding: data too thin", "the resume")
    await rollouts.traffic(**HEALTHY)  # the data arrive: the next look promotes
    await rollouts.look()
    assert await rollouts.rate() == 0.5
    await promote_step(rollouts)
    assert (await ended(rollouts)).end is EndEvent.PROMOTED
    assert await rates(rollouts) == [(0.1, "rollout"), (0.5, "rollout"), (1.0, "rollout")]


async def test_a_pause_for_a_change_by_hand_refuses_a_second_pause_and_takes_resume(
    rollouts: Rollouts,
) -> None:
    await pause_by_hand(rollouts)
    assert "pause is not taken twice" in await refused(rollouts, "pause")

    await ok(rollouts, "resume")
    await rollouts.wait(lambda s: s.phase == "baking", "the resume")
    assert await rollouts.rate() == 0.5
    await promote_step(rollouts)
    assert (await ended(rollouts)).end is EndEvent.PROMOTED
    assert await rates(rollouts) == [
        (0.1, "rollout"),
        (0.3, "ops@test"),
        (0.5, "rollout"),
        (1.0, "rollout"),
    ]


async def test_abort_during_a_pause_for_a_change_by_hand(rollouts: Rollouts) -> None:
    await pause_by_hand(rollouts)
    await ok(rollouts, "abort", "--reason", "hand change stays")
    assert (await ended(rollouts)).end is EndEvent.ABORTED
    assert await rates(rollouts) == [(0.1, "rollout"), (0.3, "ops@test"), (0.0, "rollout")]


async def test_promote_full_during_an_approval_wait_is_the_approval(rollouts: Rollouts) -> None:
    await rollouts.start(*STEPS, "--approve-before", "10%", *QUICK)
    await ok(rollouts, "promote", "--full")
    state = await ended(rollouts)
    assert state.end is EndEvent.PROMOTED
    assert state.elements[Element.APPROVE_STEP].canceled == 1  # Tasklist's task is gone
    assert await rates(rollouts) == [(1.0, "rollout")]
    [*_, last] = await rollouts.history()
    assert last.reason.startswith("guarded rollout promoted: 100% on request (promote --full)")
    assert rollouts.webhook.events() == ["started", "promoted"]


async def test_promote_full_during_a_hold_on_thin_data(rollouts: Rollouts) -> None:
    await rollouts.start(*STEPS, *QUICK)
    await rollouts.traffic(**THIN)
    state = await rollouts.look(3)
    assert state.phase == "holding: data too thin"
    await ok(rollouts, "promote", "--full")
    assert (await ended(rollouts)).end is EndEvent.PROMOTED
    assert await rates(rollouts) == [(0.1, "rollout"), (1.0, "rollout")]


async def test_promote_full_while_paused(rollouts: Rollouts) -> None:
    await rollouts.start(*STEPS, *QUICK)
    await ok(rollouts, "pause")
    await rollouts.wait(paused, "the pause")
    await rollouts.clock.advance(INTERVAL_MS)
    await rollouts.wait(lambda s: s.active(Element.RESUMED), "the hold")
    await ok(rollouts, "promote", "--full")
    state = await ended(rollouts)
    assert state.end is EndEvent.PROMOTED
    assert await rates(rollouts) == [(0.1, "rollout"), (1.0, "rollout")]
    code, _ = await rollouts.canary("rollout", "status", rollouts.name, "--wait")
    assert code == 0
    # Ended: nothing more is taken, in one line.
    code, out = await rollouts.canary("rollout", "resume", rollouts.name)
    assert code == 1
    assert "is not running" in out


async def test_abort_while_paused(rollouts: Rollouts) -> None:
    await rollouts.start(*STEPS, *QUICK)
    await rollouts.traffic(**HEALTHY)
    await ok(rollouts, "pause")
    await rollouts.wait(paused, "the pause")
    await ok(rollouts, "abort", "--reason", "not this week")
    assert (await ended(rollouts)).end is EndEvent.ABORTED
    assert await rates(rollouts) == [(0.1, "rollout"), (0.0, "rollout")]
    assert rollouts.webhook.events()[-2:] == ["paused", "aborted"]
