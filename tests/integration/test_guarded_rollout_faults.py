"""Guarded rollouts under faults (issue 12): the database gone during analysis, the controller
process killed in the middle of a job, and the least-privilege split of database logins.

Same world as test_guarded_rollout_flow (dev engine, clock pinned, real Postgres); the
controller's database login goes through a fault proxy where a test cuts it.
"""

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest
from guarded_flow import (
    INTERVAL_MS,
    Rollouts,
    controller,
    rollout_world,
    settled,
    step_number,
)
from psycopg.conninfo import conninfo_to_dict
from support.eventually import eventually
from worker_process import WorkerProcess

from workers.guarded.process import Element, EndEvent, JobType, Variable
from workers.postgres import rollout_store

pytestmark = [pytest.mark.postgres, pytest.mark.engine]

HEALTHY = {"v1": (300, 3), "v2": (300, 3)}
QUICK = ("--interval", "1m", "--bake", "2m", "--min-attempts", "50")


@pytest.fixture
async def world(
    zeebe_target, zeebe_client, zeebe_clock, database_url, db, pg_proxy
) -> AsyncIterator[Rollouts]:
    """A world whose controller reaches Postgres through the fault proxy."""
    _, proxied_url = pg_proxy
    extra = {"CANARY_ROLLOUT_DATABASE_URL": proxied_url}
    async with rollout_world(zeebe_target, zeebe_client, zeebe_clock, db, database_url, extra) as w:
        yield w


async def test_analysis_without_its_database_ends_in_an_incident_never_a_promotion(
    world: Rollouts, pg_proxy
) -> None:
    proxy, _ = pg_proxy
    async with controller(world.environ):
        await world.start("--steps", "10%,50%", *QUICK)
        await world.traffic(**HEALTHY)
        proxy.down()

        async def incident() -> bool:
            # Each advance lets the next retry's backoff (Zeebe's, on the pinned clock) pass.
            await world.clock.advance(INTERVAL_MS)
            return bool((await world.state()).incidents)

        await eventually(incident, timeout=60.0, interval=0.2, what="an incident on analyse")
        state = await world.state()
        [problem] = state.incidents
        assert problem.startswith(f"{Element.ANALYSE}: {JobType.ANALYSE} failed: cannot reach")
        assert "(0 retries left)" in problem
        assert state.running
        assert state.phase.startswith("stuck: incident")
        await world.clock.advance(10 * INTERVAL_MS)  # far past the bake: still no verdict
        assert await world.rate() == 0.1
        assert world.webhook.events() == ["started", "step"]
        code, out = await world.canary("rollout", "status", world.name, "--json")
        assert code == 0
        assert f'"{Element.ANALYSE}: ' in out

        # The database is back; an operator gives the job retries and resolves the incident,
        # as Operate does over REST. The rollout goes on from where it held.
        proxy.restore()
        async with httpx.AsyncClient(base_url=world.rest_url) as http:
            found = await http.post(
                "/v2/incidents/search", json={"filter": {"elementId": Element.ANALYSE}}
            )
            [problem_json] = found.json()["items"]
            job_key, incident_key = problem_json["jobKey"], problem_json["incidentKey"]
            retried = await http.patch(f"/v2/jobs/{job_key}", json={"changeset": {"retries": 1}})
            assert retried.status_code == 204, retried.text
            resolved = await http.post(f"/v2/incidents/{incident_key}/resolution")
            assert resolved.status_code == 204, resolved.text
        state = await world.wait(lambda s: not s.incidents and settled(s), "the resolution")
        # The bake counts looks, not the hours on hold: the held look was the first.
        assert state.variables[Variable.VERDICT] == "continue"
        assert state.variables[Variable.STEP_LOOKS] == 1
        await world.look()
        await world.wait(lambda s: step_number(s) == 2 and s.phase == "baking", "step 2")
        assert await world.rate() == 0.5


async def test_a_controller_killed_in_the_middle_of_a_job_is_replaced_and_the_rollout_goes_on(
    world: Rollouts, pg_proxy, zeebe_target
) -> None:
    proxy, _ = pg_proxy
    engine = zeebe_target.engine.engine
    async with WorkerProcess(env=world.environ) as first:
        await first.wait_for(lambda: first.events("worker started"), timeout=60)
        await world.start("--steps", "10%,50%", *QUICK)
        await world.traffic(**HEALTHY)
        proxy.hang()  # the next `analyse` hangs on its database connection...
        await world.clock.advance(INTERVAL_MS)

        def analyse_taken() -> bool:
            return any(
                job.type == JobType.ANALYSE and job.state.value == "ACTIVATED"
                for job in engine.jobs.jobs.values()
            )

        await eventually(analyse_taken, timeout=30.0, what="the first controller's analyse")
        assert first.process is not None
        first.process.kill()  # ...and its process dies with the job in hand
        await first.exit_code()
    proxy.restore()

    async with WorkerProcess(env=world.environ) as second:
        await second.wait_for(lambda: second.events("worker started"), timeout=60)
        # The job comes back when its timeout passes; Zeebe kept the step, the looks, the plan.
        await world.clock.advance(31_000)
        await second.wait_for(lambda: second.events("rollout verdict"), timeout=30)
        await world.look()
        state = await world.wait(lambda s: step_number(s) == 2 and s.phase == "baking", "step 2")
        assert await world.rate() == 0.5
        assert state.running


@pytest.fixture
def logins(database_url: str) -> Iterator[tuple[str, str]]:
    """A worker login (canary_worker) and an operator login (canary_operator), as the README
    has them created; dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    worker, operator = f"canary_w_{suffix}", f"canary_o_{suffix}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{worker}" LOGIN IN ROLE canary_worker')
        conn.execute(f'CREATE ROLE "{operator}" LOGIN IN ROLE canary_operator')
    params = conninfo_to_dict(database_url)
    base = f"{params.get('host') or '127.0.0.1'}:{params.get('port') or 5432}/{params['dbname']}"
    try:
        yield f"postgresql://{worker}@{base}", f"postgresql://{operator}@{base}"
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{worker}"')
            conn.execute(f'DROP ROLE IF EXISTS "{operator}"')


async def test_the_controller_writes_with_the_operator_login_while_workers_keep_theirs(
    world: Rollouts, logins: tuple[str, str]
) -> None:
    worker_url, operator_url = logins
    # The worker login cannot change a rate: that is why the controller has a login of its own.
    async with await psycopg.AsyncConnection.connect(worker_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await rollout_store.set_rate(conn, world.name, rate=0.5, actor="x", reason="x")
    world.environ |= {"DATABASE_URL": worker_url, "CANARY_ROLLOUT_DATABASE_URL": operator_url}
    async with controller(world.environ):
        await world.start("--steps", "10%,50%", *QUICK)
        await world.traffic(**HEALTHY)
        await world.look(2)
        assert await world.rate() == 0.5
    changes = [h for h in await world.history() if h.change == "updated"]
    operator = operator_url.split("//")[1].split("@")[0]
    assert [(h.new_rate, h.database_user) for h in changes] == [(0.1, operator), (0.5, operator)]


async def test_promote_full_skips_the_remaining_steps(world: Rollouts) -> None:
    async with controller(world.environ):
        await world.start("--steps", "10%,25%,50%", *QUICK)
        code, out = await world.canary("rollout", "promote", world.name)
        assert code == 1
        assert "promote needs --full" in out
        code, out = await world.canary("rollout", "promote", world.name, "--full")
        assert code == 0, out
        state = await world.wait(lambda s: not s.running, "the promotion")
    assert state.end is EndEvent.PROMOTED
    assert await world.rate() == 1.0
    [*_, last] = await world.history()
    assert last.reason.startswith("guarded rollout promoted: 100% on request")


BAD_STARTS = [
    (("--steps", "50%,10%"), "--steps must rise: 10% follows 50%"),
    (("--steps", "150%"), "outside"),
    (("--interval", "5m", "--bake", "1m"), "--bake 1m is shorter than --interval 5m"),
    (("--approve-before", "30%"), "--approve-before 30% is not one of the steps"),
    (("--baseline", "2", "--canary", "2"), "--baseline and --canary must differ"),
]


async def test_bad_input_to_start_is_one_line_and_changes_nothing(world: Rollouts) -> None:
    for flags, message in BAD_STARTS:  # one world for all: each must leave it untouched
        code, out = await world.canary("rollout", "start", world.name, *flags)
        assert code == 1, flags
        assert message in out
        assert "\n" not in out
    assert await world.rate() == 0.0
    assert await world.rest_instances() == []


async def test_a_new_pair_mid_canary_is_refused_before_anything_is_sent(world: Rollouts) -> None:
    await rollout_store.set_rate(world.db, world.name, rate=0.3, actor="ops", reason="by hand")
    code, out = await world.canary(
        "rollout", "start", world.name, "--baseline", "2", "--canary", "3"
    )
    assert code == 1
    assert "change its versions (to v2:v3) only at rate 0 or 100%" in out
    assert "\n" not in out
    row = await rollout_store.get_rollout(world.db, world.name)
    assert (row.rate, row.versions) == (0.3, (1, 2))
    assert await world.rest_instances() == []


async def test_an_unknown_rollout_is_refused_before_anything_is_sent(world: Rollouts) -> None:
    code, out = await world.canary("rollout", "start", "nosuch")
    assert code == 1
    assert "unknown rollout 'nosuch'" in out
    assert await world.rest_instances() == []
    code, out = await world.canary("rollout", "status", "nosuch")
    assert code == 1
    assert "no guarded rollout 'nosuch'" in out
    code, out = await world.canary("rollout", "pause", "nosuch")
    assert code == 1
    assert "no guarded rollout 'nosuch'" in out
