"""The workers' in-memory rollout config: follows changes, survives outages, never blocks."""

import asyncio
import time

import pytest
import structlog
from structlog.testing import capture_logs
from support.eventually import eventually

from workers.backoff import Backoff
from workers.postgres import rollout_store
from workers.postgres.rollout_cache import RolloutCache
from workers.routing import Rule

pytestmark = pytest.mark.postgres

FAST = Backoff(base=0.02, cap=0.1)


class Clock:
    """Monotonic time that a test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


def cache_for(
    url: str,
    *,
    clock: Clock | None = None,
    refresh: float = 30.0,
    max_age: float = 300.0,
    fallback: int | None = 1,
) -> RolloutCache:
    return RolloutCache(
        url,
        max_age=max_age,
        refresh_interval=refresh,
        fallback_version=fallback,
        backoff=FAST,
        clock=clock or Clock(),
    )


async def set_rate(db, rate: float) -> None:
    await rollout_store.set_rate(db, "verifymenow", rate=rate, actor="test", reason="test")


async def test_loads_at_start_and_decides_from_memory(db, database_url):
    await set_rate(db, 1.0)
    async with cache_for(database_url) as cache:
        assert await cache.wait_loaded(5)
        queries = cache.health().queries
        decisions = [cache.decide("verifymenow", f"a-{i}") for i in range(1000)]
        assert cache.health().queries == queries  # steady state: no database round trip
    assert {d.version for d in decisions} == {2}
    assert {d.rule for d in decisions} == {Rule.STICKY}


async def test_a_committed_rate_change_reaches_the_cache_by_notify(db, database_url):
    async with cache_for(database_url) as cache:
        await cache.wait_loaded(5)
        assert cache.decide("verifymenow", "a").version == 1
        await set_rate(db, 1.0)
        await eventually(lambda: cache.decide("verifymenow", "a").version == 2)
        await rollout_store.add_override(db, "verifymenow", "a", version=1, actor="t", reason="r")
        await eventually(lambda: cache.decide("verifymenow", "a").rule is Rule.OVERRIDE)
        assert cache.decide("verifymenow", "a").version == 1


async def test_periodic_refresh_catches_a_change_that_sent_no_notification(db, database_url):
    async with cache_for(database_url, refresh=0.2, max_age=5) as cache:
        await cache.wait_loaded(5)
        await db.execute("ALTER TABLE canary.rollouts DISABLE TRIGGER audit")
        await db.execute("UPDATE canary.rollouts SET rate = 1 WHERE name = 'verifymenow'")
        await eventually(lambda: cache.decide("verifymenow", "a").version == 2)


async def test_unknown_rollout_routes_to_the_fallback(database_url):
    async with cache_for(database_url) as cache:
        await cache.wait_loaded(5)
        decision = cache.decide("nosuch", "a")
    assert (decision.version, decision.rule) == (1, Rule.FALLBACK)


async def test_a_rollout_routes_its_own_pair_and_falls_back_to_its_baseline(db, database_url):
    """Rollout 2 -> 3: the canary share gets v3, the rest v2; a stale config answers v2."""
    await rollout_store.set_rate(
        db, "verifymenow", rate=1.0, actor="t", reason="v2 everywhere"
    )  # the pair changes only at rate 0 or 1
    await rollout_store.set_rate(
        db, "verifymenow", rate=0.5, versions=(2, 3), actor="t", reason="next migration"
    )
    clock = Clock()
    async with cache_for(database_url, clock=clock, fallback=None) as cache:
        await cache.wait_loaded(5)
        routed = {cache.decide("verifymenow", f"a-{i}").version for i in range(200)}
        assert cache.decide("nosuch", "a").version == 1  # nothing known of it: v1
        clock.offset += 301
        stale = cache.decide("verifymenow", "a-1")
    assert routed == {2, 3}
    assert (stale.version, stale.rule) == (2, Rule.FALLBACK)


async def test_outage_keeps_the_last_config_until_max_age_then_falls_back(db, pg_proxy):
    proxy, url = pg_proxy
    clock = Clock()
    await set_rate(db, 1.0)
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        async with cache_for(url, clock=clock, max_age=60) as cache:
            await cache.wait_loaded(5)
            proxy.down()
            await eventually(lambda: not cache.health().connected)
            await asyncio.sleep(0.3)  # several reconnect attempts while down
            assert cache.decide("verifymenow", "a").version == 2  # last known config
            assert not cache.health().fallback_active

            clock.offset += 61  # the config is now older than max_age
            decision = cache.decide("verifymenow", "a")
            assert (decision.version, decision.rule) == (1, Rule.FALLBACK)
            assert cache.health().fallback_active

            proxy.restore()
            await eventually(lambda: cache.health().connected)
            assert cache.decide("verifymenow", "a").version == 2
            assert cache.health().reconnects == 1
            assert not cache.health().fallback_active
    events = [e["event"] for e in logs]
    assert events.count("rollout store unreachable; deciding with the last known config") == 1
    assert events.count("rollout store reachable again") == 1
    recovered = next(e for e in logs if e["event"] == "rollout store reachable again")
    assert recovered["outage_seconds"] >= 60


async def test_a_change_made_during_an_outage_is_seen_after_reconnecting(db, pg_proxy):
    proxy, url = pg_proxy
    async with cache_for(url) as cache:
        await cache.wait_loaded(5)
        proxy.down()
        await eventually(lambda: not cache.health().connected)
        await set_rate(db, 1.0)  # the NOTIFY goes nowhere: nobody is listening
        proxy.restore()
        await eventually(lambda: cache.decide("verifymenow", "a").version == 2)


async def test_start_without_a_database_decides_fallback_then_loads_when_it_appears(db, pg_proxy):
    proxy, url = pg_proxy
    await set_rate(db, 1.0)
    proxy.down()
    with capture_logs() as logs:
        async with cache_for(url) as cache:
            assert not await cache.wait_loaded(0.3)
            decision = cache.decide("verifymenow", "a")
            assert (decision.version, decision.rule) == (1, Rule.FALLBACK)
            health = cache.health()
            assert (health.loaded, health.connected, health.fallback_active) == (False, False, True)
            assert "cannot reach Postgres" in (health.last_error or "")
            proxy.restore()
            assert await cache.wait_loaded(5)
            assert cache.decide("verifymenow", "a").version == 2
    unreachable = [e for e in logs if e["event"].startswith("rollout store unreachable")]
    assert len(unreachable) == 1
    assert unreachable[0]["loaded"] is False


async def test_a_killed_connection_is_replaced(db, database_url):
    async with cache_for(database_url) as cache:
        await cache.wait_loaded(5)
        await db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await eventually(lambda: cache.health().reconnects == 1)
        await set_rate(db, 1.0)
        await eventually(lambda: cache.decide("verifymenow", "a").version == 2)


async def test_stop_closes_the_connection(database_url, db):
    async def listeners() -> int:
        row = await (
            await db.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'canary-rollout-cache'"
            )
        ).fetchone()
        return int(row[0])

    cache = cache_for(database_url)
    await cache.start()
    await cache.wait_loaded(5)
    assert await listeners() == 1
    await cache.stop()
    deadline = time.monotonic() + 5
    while await listeners() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await listeners() == 0


async def test_an_unexpected_error_restarts_following_instead_of_ending_it(db, database_url):
    calls = []

    def flaky(configs) -> None:
        calls.append(configs)
        if len(calls) == 1:
            raise RuntimeError("bug in a reload hook")

    cache = cache_for(database_url)
    cache.on_reload = flaky
    async with cache:
        await eventually(lambda: len(calls) >= 2)  # reloaded again after the failure
        await set_rate(db, 1.0)
        await eventually(lambda: cache.decide("verifymenow", "a").version == 2)
