"""Migration 0007 (versions per rollout) on a database that already holds data, and its rules."""

from datetime import UTC, datetime

import psycopg
import pytest

from workers.postgres.migrations import load_migrations, migrate

pytestmark = pytest.mark.postgres

VERSIONS_MIGRATION = 7


async def connect(url: str) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(url, autocommit=True)


async def _record_before_0007(conn: psycopg.AsyncConnection) -> None:
    """Data as a release before 0007 left it: a rollout mid-canary, an override, records."""
    await conn.execute("UPDATE canary.rollouts SET rate = 0.25, reason = 'ramp' WHERE true")
    await conn.execute(
        "INSERT INTO canary.overrides (rollout, subject, version) VALUES ('verifymenow', 'a', 2)"
    )
    now = datetime.now(UTC)
    await conn.execute(
        "INSERT INTO canary.outcomes (recorded_at, rollout, process_instance_key, job_key,"
        " version, outcome, latency_ms, retries) VALUES"
        " (%(t)s, 'verifymenow', 1, 11, 1, 'verified', 10, 3),"
        " (%(t)s, 'verifymenow', 2, 12, 2, 'incident', 20, 1)",
        {"t": now},
    )
    await conn.execute(
        "INSERT INTO canary.decisions (recorded_at, rollout, process_instance_key, job_key,"
        " version, rule, bucket, rate) VALUES (%s, 'verifymenow', 1, 10, 2, 'sticky', 0.1, 0.25)",
        (now,),
    )


async def test_existing_rows_survive_and_route_as_before(empty_database_url):
    """Rollouts keep 1 -> 2, records and counters stay, the old history gets its pair."""
    before = [m for m in load_migrations() if m.version < VERSIONS_MIGRATION]
    async with await connect(empty_database_url) as conn:
        await migrate(conn, before)
        await _record_before_0007(conn)
        result = await migrate(conn)
        assert [m.version for m in result.applied] == [VERSIONS_MIGRATION]
        rollout = await (
            await conn.execute(
                "SELECT rate, reason, baseline_version, canary_version FROM canary.rollouts"
            )
        ).fetchall()
        assert rollout == [(0.25, "ramp", 1, 2)]
        records = await (
            await conn.execute(
                "SELECT (SELECT array_agg(version ORDER BY job_key) FROM canary.outcomes),"
                " (SELECT array_agg(version) FROM canary.decisions),"
                " (SELECT array_agg(version) FROM canary.overrides)"
            )
        ).fetchone()
        assert records == ([1, 2], [2], [2])
        counted = await (
            await conn.execute(
                "SELECT version, sum(verified), sum(incident) FROM canary.outcome_counts"
                " WHERE grain = 60 GROUP BY version ORDER BY version"
            )
        ).fetchall()
        assert counted == [(1, 1, 0), (2, 0, 1)]
        history = await (
            await conn.execute(
                "SELECT change, old_baseline_version, old_canary_version,"
                " new_baseline_version, new_canary_version FROM canary.rollout_history"
                " WHERE change IN ('created', 'updated') ORDER BY id"
            )
        ).fetchall()
        assert history == [("created", None, None, 1, 2), ("updated", 1, 2, 1, 2)]


async def test_versions_beyond_2_are_recorded_and_forced(db):
    await db.execute(
        "INSERT INTO canary.outcomes (recorded_at, rollout, process_instance_key, job_key,"
        " version, outcome, latency_ms, retries)"
        " VALUES (now(), 'verifymenow', 1, 1, 3, 'verified', 5, 3)"
    )
    await db.execute(
        "INSERT INTO canary.overrides (rollout, subject, version) VALUES ('verifymenow', 'b', 3)"
    )
    counted = await (
        await db.execute("SELECT version, verified FROM canary.outcome_counts WHERE grain = 60")
    ).fetchall()
    assert counted == [(3, 1)]
    for statement in (
        "UPDATE canary.overrides SET version = 0",
        "UPDATE canary.rollouts SET baseline_version = 0",
        "UPDATE canary.rollouts SET baseline_version = 2",  # equal to the canary
    ):
        with pytest.raises(psycopg.errors.CheckViolation):
            await db.execute(statement)


async def test_the_pair_changes_only_at_rate_0_or_1_and_the_change_is_audited(db):
    await db.execute("UPDATE canary.rollouts SET rate = 0.3")
    with pytest.raises(psycopg.errors.CheckViolation, match="change its versions only at rate"):
        await db.execute("UPDATE canary.rollouts SET baseline_version = 2, canary_version = 3")
    await db.execute("UPDATE canary.rollouts SET rate = 1")
    # At 100 % everyone is on v2: the next rollout's baseline; its first step sets the rate.
    await db.execute(
        "UPDATE canary.rollouts SET baseline_version = 2, canary_version = 3, rate = 0.01,"
        " updated_by = 'alice', reason = 'next migration'"
    )
    row = await (
        await db.execute(
            "SELECT changed_by, reason, old_rate, new_rate, old_baseline_version,"
            " old_canary_version, new_baseline_version, new_canary_version"
            " FROM canary.rollout_history ORDER BY id DESC LIMIT 1"
        )
    ).fetchone()
    assert row == ("alice", "next migration", 1.0, 0.01, 1, 2, 2, 3)
