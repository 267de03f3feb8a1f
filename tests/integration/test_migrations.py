"""Migrations against real Postgres: idempotent, concurrent-safe, and the schema's guarantees."""

import asyncio
from pathlib import Path

import psycopg
import pytest

from workers.errors import MigrationError
from workers.postgres.migrations import Migration, load_migrations, migrate

pytestmark = pytest.mark.postgres


async def connect(url: str) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(url, autocommit=True)


async def test_migrate_applies_everything_once_and_then_nothing(empty_database_url):
    async with await connect(empty_database_url) as conn:
        first = await migrate(conn)
        second = await migrate(conn)
        versions = await (
            await conn.execute("SELECT version FROM canary.schema_migrations ORDER BY 1")
        ).fetchall()
    assert [m.version for m in first.applied] == [m.version for m in load_migrations()]
    assert second.applied == []
    assert second.current == first.current
    assert [v for (v,) in versions] == [m.version for m in load_migrations()]


async def test_concurrent_migrations_apply_each_migration_exactly_once(empty_database_url):
    """Several containers starting at once: the advisory lock makes them queue."""
    conns = [await connect(empty_database_url) for _ in range(5)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
    finally:
        for c in conns:
            await c.close()
    applied = [m.version for r in results for m in r.applied]
    assert sorted(applied) == [m.version for m in load_migrations()]


async def test_an_edited_applied_migration_is_refused(empty_database_url):
    async with await connect(empty_database_url) as conn:
        await migrate(conn)
        edited = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in load_migrations()]
        with pytest.raises(MigrationError, match="was edited after it was applied"):
            await migrate(conn, edited)


async def test_a_failing_migration_is_rolled_back_and_not_recorded(empty_database_url):
    broken = [
        *load_migrations(),
        Migration(9999, "broken", "CREATE TABLE canary.half (a int); SELECT 1/0;"),
    ]
    async with await connect(empty_database_url) as conn:
        with pytest.raises(MigrationError, match=r"9999_broken\.sql failed: division by zero"):
            await migrate(conn, broken)
        exists = await (await conn.execute("SELECT to_regclass('canary.half')")).fetchone()
        recorded = await (
            await conn.execute("SELECT count(*) FROM canary.schema_migrations WHERE version = 9999")
        ).fetchone()
    assert exists == (None,)
    assert recorded == (0,)


def test_badly_named_migration_files_are_refused(tmp_path: Path):
    (tmp_path / "1_init.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match=r"is not named NNNN_name\.sql"):
        load_migrations(tmp_path)


def test_duplicate_migration_numbers_are_refused(tmp_path: Path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1")
    (tmp_path / "0001_b.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="share number 0001"):
        load_migrations(tmp_path)


async def test_the_default_rollout_starts_at_zero(db):
    row = await (
        await db.execute(
            "SELECT rate, strategy, length(salt) > 0 FROM canary.rollouts WHERE name ="
            " 'verifymenow'"
        )
    ).fetchone()
    assert row == (0.0, "sticky", True)


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "'NaN'", "'Infinity'"])
async def test_the_rate_check_constraint_refuses_values_outside_0_1(db, bad):
    with pytest.raises(psycopg.errors.CheckViolation):
        await db.execute(f"UPDATE canary.rollouts SET rate = {bad} WHERE name = 'verifymenow'")
    rate = await (await db.execute("SELECT rate FROM canary.rollouts")).fetchone()
    assert rate == (0.0,)


async def test_a_plain_sql_change_is_audited_with_session_user(db):
    await db.execute("UPDATE canary.rollouts SET rate = 0.3 WHERE name = 'verifymenow'")
    row = await (
        await db.execute(
            "SELECT change, old_rate, new_rate, changed_by, reason FROM canary.rollout_history"
            " ORDER BY id DESC LIMIT 1"
        )
    ).fetchone()
    assert row == ("updated", 0.0, 0.3, "postgres", "(no reason given)")


async def test_a_plain_sql_change_can_say_who_and_why(db):
    await db.execute(
        "UPDATE canary.rollouts SET rate = 0.1, updated_by = 'alice', reason = 'night shift'"
        " WHERE name = 'verifymenow'"
    )
    row = await (
        await db.execute(
            "SELECT new_rate, changed_by, reason FROM canary.rollout_history ORDER BY id DESC"
            " LIMIT 1"
        )
    ).fetchone()
    assert row == (0.1, "alice", "night shift")


async def test_a_change_notifies_listeners_after_commit(db, database_url):
    async with await connect(database_url) as listener:
        await listener.execute("LISTEN canary_rollouts")
        async with db.transaction():
            await db.execute("UPDATE canary.rollouts SET rate = 0.2 WHERE name = 'verifymenow'")
            early = [n async for n in listener.notifies(timeout=0.2)]
        late = [n.payload async for n in listener.notifies(timeout=2, stop_after=1)]
    assert early == []
    assert late == ["verifymenow"]


async def test_override_changes_are_audited_and_notified(db, database_url):
    async with await connect(database_url) as listener:
        await listener.execute("LISTEN canary_rollouts")
        await db.execute(
            "INSERT INTO canary.overrides (rollout, subject, version) VALUES ('verifymenow',"
            " 'tester-1', 2)"
        )
        await db.execute("DELETE FROM canary.overrides WHERE subject = 'tester-1'")
        got = [n.payload async for n in listener.notifies(timeout=2, stop_after=2)]
    rows = await (
        await db.execute(
            "SELECT change, subject, old_version, new_version FROM canary.rollout_history WHERE"
            " change LIKE 'override%' ORDER BY id"
        )
    ).fetchall()
    assert got == ["verifymenow", "verifymenow"]
    assert rows == [
        ("override_added", "tester-1", None, 2),
        ("override_removed", "tester-1", 2, None),
    ]


async def test_the_worker_role_reads_rollouts_but_cannot_change_them(db):
    async with db.transaction():
        await db.execute("SET LOCAL ROLE canary_worker")
        rows = await (await db.execute("SELECT name FROM canary.rollouts")).fetchall()
        assert rows == [("verifymenow",)]
        await (await db.execute("SELECT count(*) FROM canary.overrides")).fetchone()
    for statement in (
        "UPDATE canary.rollouts SET rate = 1",
        "INSERT INTO canary.overrides (rollout, subject, version) VALUES ('verifymenow', 'x', 2)",
        (
            "INSERT INTO canary.rollout_history (rollout, change, changed_by, reason)"
            " VALUES ('x', 'updated', 'me', 'no')"
        ),
        "SELECT * FROM canary.rollout_history",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            async with db.transaction():
                await db.execute("SET LOCAL ROLE canary_worker")
                await db.execute(statement)
    rate = await (await db.execute("SELECT rate FROM canary.rollouts")).fetchone()
    assert rate == (0.0,)


async def test_the_operator_role_changes_rates_and_the_history_is_still_written(db):
    async with db.transaction():
        await db.execute("SET LOCAL ROLE canary_operator")
        await db.execute("UPDATE canary.rollouts SET rate = 0.5 WHERE name = 'verifymenow'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.transaction():
            await db.execute("SET LOCAL ROLE canary_operator")
            await db.execute("DELETE FROM canary.rollout_history")
    rows = await (
        await db.execute("SELECT new_rate FROM canary.rollout_history WHERE change = 'updated'")
    ).fetchall()
    assert rows == [(0.5,)]
