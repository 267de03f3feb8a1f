"""The next migration, v2 -> v3, end to end on the dev engine (issue 12, versions per rollout).

After 1 -> 2 finished at 100 %, the model carries a v3 branch (`next_migration.next_model`)
served by a v3 worker that records through the product's recorder. A guarded rollout started
with ``--baseline 2 --canary 3`` writes the pair to the routing rollout at its first step; the
real choose-version worker then routes 2/3 by it, the report compares v2 with v3, and the
analysis promotes a healthy v3 or rolls back a failing one. The engine clock is pinned and
advanced one interval per look (tests/guarded_flow.py).
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from guarded_flow import Rollouts, controller, rollout_world
from next_migration import NEXT_PROCESS_ID, StandInV3, next_model, v3_worker
from support.eventually import eventually
from support.flow import applicant, stub_in_process, workers

from workers.demo.stub.config import StubConfig
from workers.guarded.process import EndEvent, Variable
from workers.operate.deploy import deploy
from workers.operate.status import Status, collect_status
from workers.postgres import rollout_store

pytestmark = [pytest.mark.postgres, pytest.mark.engine]

#: One step at 50 %, two looks of bake, a small minimum sample per version.
FLAGS = ("--steps", "50%", "--interval", "1m", "--bake", "2m", "--min-attempts", "15")
PAIR = ("--baseline", "2", "--canary", "3")


@pytest.fixture
async def world(
    zeebe_target, zeebe_client, zeebe_clock, database_url, db, tmp_path: Path
) -> AsyncIterator[Rollouts]:
    """v1 -> v2 done (rate 100 %, pair 1:2), the v2/v3 model deployed, the controller and the
    v2 workers (routing and verify-identity-v2 against the stand-in) running."""
    async with rollout_world(zeebe_target, zeebe_client, zeebe_clock, db, database_url) as world:
        await rollout_store.set_rate(db, world.name, rate=1.0, actor="ops", reason="v2 done")
        await deploy(zeebe_client, [next_model(tmp_path)], address=zeebe_target.grpc_address)
        stub = await stub_in_process(StubConfig(seed=3))
        try:
            async with (
                controller(world.environ),
                workers(
                    grpc_address=zeebe_target.grpc_address,
                    database_url=database_url,
                    stub_url=stub.url,
                    extra={"CANARY_TASKS": "choose,v2"},  # v1 retired
                ),
            ):
                yield world
        finally:
            await stub.stop()


async def start_instances(zeebe_client, count: int) -> None:
    for number in range(count):
        await zeebe_client.run_process(NEXT_PROCESS_ID, variables=applicant(number))


async def status(world: Rollouts) -> Status:
    row = await rollout_store.get_rollout(world.db, world.name)
    return await collect_status(
        world.rest,
        rollout=world.name,
        rate=row.rate,
        strategy=row.strategy,
        versions=row.versions,
        process_id=NEXT_PROCESS_ID,
    )


async def recorded(world: Rollouts) -> dict[int, tuple[int, int]]:
    """(attempts, technical failures) per version, as the counters hold them."""
    cur = await world.db.execute(
        "SELECT version, sum(verified + rejected + unreadable + transient_failure + incident),"
        " sum(transient_failure + incident) FROM canary.outcome_counts WHERE grain = 60"
        " GROUP BY version"
    )
    return {version: (int(n), int(f)) for version, n, f in await cur.fetchall()}


async def test_a_healthy_v3_is_promoted_over_v2(world: Rollouts, zeebe_target, zeebe_client):
    async with v3_worker(
        grpc_address=zeebe_target.grpc_address,
        database_url=world.environ["DATABASE_URL"],
        client=StandInV3(),
    ):
        await world.start(*FLAGS, *PAIR)
        row = await rollout_store.get_rollout(world.db, world.name)
        assert (row.rate, row.versions) == (0.5, (2, 3))

        await start_instances(zeebe_client, 80)

        async def all_verified() -> bool:
            s = await status(world)
            return s.versions[2].completed + s.versions[3].completed == 80

        await eventually(all_verified, timeout=60, what="80 instances verified on v2 or v3")
        await eventually(
            lambda: _both_sampled(world), timeout=30, what="the outcomes recorded and counted"
        )
        now = await status(world)
        assert set(now.versions) == {2, 3}
        assert min(now.versions[2].completed, now.versions[3].completed) >= 20  # ~40 each

        await world.look(2)
        state = await world.wait(lambda s: not s.running, "the rollout to end")

    assert state.end is EndEvent.PROMOTED
    row = await rollout_store.get_rollout(world.db, world.name)
    assert (row.rate, row.versions) == (1.0, (2, 3))
    first_step = next(h for h in await world.history() if h.changed_by.startswith("rollout:"))
    assert (first_step.old_baseline_version, first_step.old_canary_version) == (1, 2)
    assert (first_step.new_baseline_version, first_step.new_canary_version) == (2, 3)
    assert first_step.reason.endswith("versions v1:v2 -> v2:v3")

    code, out = await world.canary("report", "--since", "1h")
    assert code == 0, out
    assert "rate now 100% to v3, the rest v2" in out
    assert "failures v2 0, v3 0" in out
    code, out = await world.canary("status", "--process-id", NEXT_PROCESS_ID)
    assert code == 0, out
    assert "100% to v3, the rest to v2" in out


async def _both_sampled(world: Rollouts) -> bool:
    counts = await recorded(world)
    return sum(n for n, _ in counts.values()) >= 80 and set(counts) == {2, 3}


async def test_a_failing_v3_is_rolled_back_to_v2(world: Rollouts, zeebe_target, zeebe_client):
    async with v3_worker(
        grpc_address=zeebe_target.grpc_address,
        database_url=world.environ["DATABASE_URL"],
        client=StandInV3(failing=True),
    ):
        await world.start(*FLAGS, *PAIR)
        await start_instances(zeebe_client, 60)

        async def v3_failed_enough() -> bool:
            counts = await recorded(world)
            v2, v3 = counts.get(2, (0, 0)), counts.get(3, (0, 0))
            return v2[0] >= 15 and v3[1] >= 15

        await eventually(v3_failed_enough, timeout=60, what="v3's first attempts to fail")
        await world.look()
        state = await world.wait(lambda s: not s.running, "the rollback")

    assert state.end is EndEvent.ROLLED_BACK
    row = await rollout_store.get_rollout(world.db, world.name)
    # Rate 0 on the pair 2:3: everyone back on v2, the pair kept for the next attempt.
    assert (row.rate, row.versions) == (0.0, (2, 3))
    [*_, last] = await world.history()
    assert "v3 fails more often than v2" in last.reason
    code, out = await world.canary("report", "--since", "1h", "--min-attempts", "10")
    assert code == 0, out
    assert "v3 worse" in out


async def test_a_start_without_versions_keeps_the_rollouts_own_pair(world: Rollouts):
    """After 2 -> 3 finished, a start without --baseline/--canary compares 3 with 2 again
    rather than quietly routing back to 1 and 2."""
    await rollout_store.set_rate(
        world.db, world.name, rate=1.0, versions=(2, 3), actor="ops", reason="v3 done"
    )
    await world.start(*FLAGS)
    state = await world.state()
    started = (state.variables[Variable.BASELINE_VERSION], state.variables[Variable.CANARY_VERSION])
    assert started == (2, 3)
    row = await rollout_store.get_rollout(world.db, world.name)
    assert (row.rate, row.versions) == (0.5, (2, 3))
