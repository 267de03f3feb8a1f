"""`canary demo --guarded`: the guarded rollout offline, rolled back by the controller alone."""

import asyncio
import contextlib

import psycopg
import pytest
from support.commands import spawn_canary

from workers.postgres import rollout_store

pytestmark = [pytest.mark.postgres, pytest.mark.engine]


async def test_the_guarded_demo_rolls_back_on_its_own_and_ends_with_the_report(database_url):
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    # A database of this test's own: other runs and `make demo` share the server.
    demo_db = database_url.rsplit("/", 1)[1] + "_guarded"
    process = await spawn_canary(
        "demo", "--guarded", "--seed", "3", "--database", demo_db,
        env={"DATABASE_URL": server, "COLUMNS": "160"},
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
    text = out.decode()
    assert process.returncode == 0, err.decode()[-2000:]
    assert "v2 starts failing" in text
    assert "the rollout ended: rolled-back" in text
    assert "canary report verifymenow" in text
    assert "verdict" in text
    # The controller did it: every rate change after the demo's own first one is the
    # rollout's, up the steps until v2 broke at 25 % (caught there or at 50 %), then to 0.
    async with await psycopg.AsyncConnection.connect(
        database_url.rsplit("/", 1)[0] + "/" + demo_db, autocommit=True
    ) as conn:
        history = list(reversed(await rollout_store.history(conn, "verifymenow")))
        assert (await rollout_store.get_rollout(conn, "verifymenow")).rate == 0.0
    by_rollout = [h for h in history if h.changed_by.startswith("rollout:")]
    rates = [h.new_rate for h in by_rollout]
    assert rates in ([0.1, 0.25, 0.0], [0.1, 0.25, 0.5, 0.0]), rates
    assert len({h.changed_by for h in by_rollout}) == 1  # one process instance
    assert by_rollout[-1].reason is not None
    assert "roll" in by_rollout[-1].reason.lower()


async def test_the_guarded_demo_refuses_the_plain_demos_ramp_flags():
    process = await spawn_canary("demo", "--guarded", "--ramp", "5%,50%")
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode != 0
    assert out == b""
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1
    assert "--guarded ramps by itself until the rollout ends: leave out --ramp" in lines[0]
