"""The outcome recorder against a real Postgres, including an outage in the middle."""

import psycopg
import pytest
from pyzeebe import Job
from structlog.testing import capture_logs
from support import jobs
from support.eventually import eventually

from workers import process
from workers.postgres.outcomes import Outcome
from workers.postgres.recorder import OutcomeRecorder, RecorderStats
from workers.routing import Decision, Rule
from workers.settings import RecorderSettings

pytestmark = pytest.mark.postgres


def make_job(key: int, *, retries: int = 3, headers: dict[str, str] | None = None) -> Job:
    return jobs.make_job(
        process.verify_task(2), key=key, retries=retries, headers=headers, pik=key + 1_000_000
    )


def balanced(stats: RecorderStats) -> bool:
    return stats.written + stats.dropped + stats.pending == stats.recorded


async def job_keys(db: psycopg.AsyncConnection, table: str) -> list[int]:
    cur = await db.execute(f"SELECT job_key FROM canary.{table} ORDER BY job_key")
    return [row[0] for row in await cur.fetchall()]


async def test_decisions_and_outcomes_are_written_with_their_values(database_url, db):
    settings = RecorderSettings(buffer_size=100, batch_size=10, flush_interval=0.05, stop_timeout=5)
    recorder = OutcomeRecorder(database_url, settings=settings, default_rollout="verifymenow")
    await recorder.start()
    recorder.record_decision(make_job(1), "verifymenow", Decision(2, Rule.STICKY, 0.0123, 0.25))
    recorder.record_decision(make_job(2), "verifymenow", Decision(1, Rule.OVERRIDE, None, 0.25))
    recorder.record_outcome(
        make_job(3, retries=2), version=2, outcome=Outcome.REJECTED, latency_ms=41.5,
        error_code="IDENTITY_REJECTED",
    )  # fmt: skip
    recorder.record_outcome(
        make_job(4, headers={"rollout": "other"}), version=1,
        outcome=Outcome.TRANSIENT_FAILURE, latency_ms=None, error_code="TIMEOUT",
    )  # fmt: skip
    stats = await recorder.stop()
    assert (stats.written, stats.dropped, stats.pending) == (4, 0, 0)

    cur = await db.execute(
        "SELECT rollout, process_instance_key, job_key, version, rule, bucket, rate"
        " FROM canary.decisions ORDER BY job_key"
    )
    assert await cur.fetchall() == [
        ("verifymenow", 1_000_001, 1, 2, "sticky", 0.0123, 0.25),
        ("verifymenow", 1_000_002, 2, 1, "override", None, 0.25),
    ]
    cur = await db.execute(
        "SELECT rollout, job_key, version, outcome, latency_ms, error_code, retries"
        " FROM canary.outcomes ORDER BY job_key"
    )
    assert await cur.fetchall() == [
        ("verifymenow", 3, 2, "rejected", 41.5, "IDENTITY_REJECTED", 2),
        ("other", 4, 1, "transient_failure", None, "TIMEOUT", 3),
    ]


async def test_an_outage_loses_nothing_counted_as_written_and_counts_every_drop(pg_proxy, db):
    """Postgres goes away mid-run: the buffer fills, the overflow is counted, the rest lands."""
    proxy, url = pg_proxy
    settings = RecorderSettings(buffer_size=50, batch_size=10, flush_interval=0.02, stop_timeout=5)
    recorder = OutcomeRecorder(url, settings=settings, default_rollout="verifymenow")
    await recorder.start()

    for key in range(20):
        recorder.record_outcome(make_job(key), version=1, outcome=Outcome.VERIFIED, latency_ms=5)
    await eventually(lambda: recorder.stats().written == 20, timeout=20.0)

    proxy.down()  # refuse new connections and cut the open one
    # 120 records in one go (no await in between): 50 fit, 70 are dropped, deterministically.
    for key in range(100, 220):
        recorder.record_outcome(make_job(key), version=2, outcome=Outcome.INCIDENT, latency_ms=9)
    await eventually(lambda: recorder.stats().flush_failures >= 2, timeout=20.0)
    during = recorder.stats()
    assert balanced(during)
    assert (during.written, during.dropped, during.pending) == (20, 70, 50)
    assert not during.connected

    proxy.restore()
    await eventually(lambda: recorder.stats().pending == 0, timeout=20.0)
    after = await recorder.stop()
    assert balanced(after)
    assert (after.recorded, after.written, after.dropped) == (140, 70, 70)
    # Every row counted as written is in the table (and the first 50 of the outage made it).
    assert await job_keys(db, "outcomes") == [*range(20), *range(100, 150)]


async def test_stopping_while_postgres_is_down_reports_what_is_left(pg_proxy):
    proxy, url = pg_proxy
    settings = RecorderSettings(buffer_size=100, batch_size=10, flush_interval=0.02, stop_timeout=5)
    recorder = OutcomeRecorder(url, settings=settings, default_rollout="verifymenow")
    proxy.down()
    await recorder.start()
    for key in range(15):
        recorder.record_decision(make_job(key), "verifymenow", Decision(1, Rule.STICKY, 0.9, 0.1))
    stats = await recorder.stop(deadline=0.3)
    assert (stats.written, stats.pending, stats.dropped) == (0, 15, 0)
    recorder.record_decision(make_job(99), "verifymenow", Decision(1, Rule.STICKY, 0.9, 0.1))
    late = recorder.stats()
    assert late.dropped == 1  # after stop nothing is buffered any more, but it is counted
    assert balanced(late)


async def test_workers_may_copy_rows_in_but_not_read_them_and_operators_may_read(db):
    await db.execute("SET ROLE canary_worker")
    async with db.cursor() as cur:
        async with cur.copy(
            "COPY canary.outcomes (recorded_at, rollout, process_instance_key, job_key, version,"
            " outcome, latency_ms, error_code, retries) FROM STDIN"
        ) as copy:
            await copy.write_row(
                ("2030-01-01T00:00:00Z", "verifymenow", 1, 2, 1, "verified", 1.0, None, 3)
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await cur.execute("SELECT count(*) FROM canary.outcomes")
    await db.execute("RESET ROLE")
    await db.execute("SET ROLE canary_operator")
    cur = await db.execute("SELECT count(*) FROM canary.outcomes")
    assert await cur.fetchone() == (1,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        await db.execute("DELETE FROM canary.outcomes")


async def test_a_hung_write_drops_are_logged_once_per_episode_with_counts(pg_proxy, db):
    """Postgres stops answering (no error, no answer): the buffer fills, the first drop is
    logged at once (the write has not even failed yet), readiness can see it, and the end of
    the episode says how many were dropped (issue 16, item 7)."""
    proxy, url = pg_proxy
    settings = RecorderSettings(buffer_size=30, batch_size=10, flush_interval=0.02, stop_timeout=5)
    recorder = OutcomeRecorder(url, settings=settings, default_rollout="verifymenow")
    await recorder.start()
    recorder.record_outcome(make_job(1), version=1, outcome=Outcome.VERIFIED, latency_ms=5)
    await eventually(lambda: recorder.stats().written == 1)

    proxy.hang()
    with capture_logs() as logs:
        recorder.record_outcome(make_job(2), version=1, outcome=Outcome.VERIFIED, latency_ms=5)
        await eventually(lambda: recorder.stats().writing_seconds > 0.2)
        for key in range(100, 150):
            recorder.record_outcome(
                make_job(key), version=2, outcome=Outcome.VERIFIED, latency_ms=1
            )
        during = recorder.stats()
        assert (during.full, during.dropped, during.flush_failures) == (True, 21, 0)
        proxy.restore()
        proxy.cut()  # the hung connection is dropped; the retry connects afresh
        await eventually(lambda: recorder.stats().pending == 0, timeout=60.0)
    stats = await recorder.stop()
    assert balanced(stats)
    events = [e["event"] for e in logs]
    assert events.count("recorder buffer full; dropping new records until a write succeeds") == 1
    [ended] = [e for e in logs if e["event"] == "recorder no longer dropping records"]
    assert ended["dropped_in_episode"] == 21
    assert len(await job_keys(db, "outcomes")) == 31


async def test_a_batch_that_cannot_be_formatted_is_dropped_and_the_writer_carries_on(
    database_url, db
):
    """The job path's checks keep such rows out; should one slip in, the writer must not die."""
    from workers.postgres import recorder as module  # noqa: PLC0415

    settings = RecorderSettings(buffer_size=100, batch_size=2, flush_interval=0.01, stop_timeout=5)
    recorder = OutcomeRecorder(database_url, settings=settings, default_rollout="verifymenow")
    await recorder.start()
    recorder.record_outcome(make_job(1), version=1, outcome=Outcome.VERIFIED, latency_ms=1.0)
    # An int8 column given 2**64: formatting it raises OverflowError in the writer.
    unfit = (*recorder._buffer[0][1][:3], 2**64, *recorder._buffer[0][1][4:])
    recorder._buffer.append((module.OUTCOME, unfit))
    recorder._recorded += 1
    with capture_logs() as logs:
        await eventually(lambda: recorder.stats().dropped == 2)
        recorder.record_outcome(make_job(2), version=1, outcome=Outcome.VERIFIED, latency_ms=1.0)
        await eventually(lambda: recorder.stats().written == 1)
    stats = await recorder.stop()
    assert balanced(stats)
    assert recorder.task is not None
    assert not recorder.task.cancelled()
    assert recorder.task.exception() is None
    assert await job_keys(db, "outcomes") == [2]
    rejected = "recorder batch rejected: a value does not fit its column"
    assert [e["event"] for e in logs].count(rejected) == 1


async def test_a_batch_postgres_refuses_is_logged_by_rule_never_by_value(database_url, db):
    """A refusal's message may quote the row (here the rollout, as `invalid input` would)."""
    await db.execute(
        "CREATE FUNCTION canary.refuse_batch() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'rollout % is not allowed', (SELECT min(rollout) FROM inserted)"
        " USING ERRCODE = 'check_violation', CONSTRAINT = 'rollout_allowed',"
        " DETAIL = 'Failing row contains ' || (SELECT min(rollout) FROM inserted); END $$;"
        " CREATE TRIGGER refuse AFTER INSERT ON canary.outcomes REFERENCING NEW TABLE AS inserted"
        " FOR EACH STATEMENT EXECUTE FUNCTION canary.refuse_batch()"
    )
    settings = RecorderSettings(buffer_size=100, batch_size=1, flush_interval=0.01, stop_timeout=5)
    recorder = OutcomeRecorder(database_url, settings=settings, default_rollout="verifymenow")
    await recorder.start()
    personal = "alice.smith@example.com"
    job = make_job(1, headers={process.ROLLOUT_HEADER: personal})
    with capture_logs() as logs:
        recorder.record_outcome(job, version=1, outcome=Outcome.VERIFIED, latency_ms=1.0)
        await eventually(lambda: recorder.stats().dropped == 1)
    stats = await recorder.stop()
    assert balanced(stats)
    [rejected] = [e for e in logs if e["event"].startswith("recorder batch rejected")]
    assert rejected["error"] == "CheckViolation (SQLSTATE 23514), constraint rollout_allowed"
    assert personal not in repr(logs)


async def test_a_batch_waiting_in_postgres_does_not_hold_up_the_next(database_url, db):
    """While one batch waits (on an attempt another transaction is recording), the next one is
    written; the waiting one counts as pending until it commits too, its attempt once."""
    settings = RecorderSettings(buffer_size=100, batch_size=5, flush_interval=0.01, stop_timeout=5)
    recorder = OutcomeRecorder(database_url, settings=settings, default_rollout="verifymenow")
    async with await psycopg.AsyncConnection.connect(database_url) as other:
        async with (
            other.cursor() as cur,
            cur.copy(
                "COPY canary.outcomes (recorded_at, rollout, process_instance_key, job_key,"
                " version, outcome, retries) FROM STDIN"
            ) as copy,
        ):
            await copy.write_row(("2030-01-01T00:00:00Z", "verifymenow", 1, 1, 1, "verified", 3))
        await recorder.start()
        for key in range(1, 11):
            recorder.record_outcome(make_job(key), version=1, outcome=Outcome.VERIFIED,
                                    latency_ms=2.0)  # fmt: skip
            if key == 5:  # the first batch, with job 1, waits on the other transaction
                await eventually(lambda: recorder.stats().writing_seconds > 0.2)
        await eventually(lambda: recorder.stats().written == 5)
        waiting = recorder.stats()
        assert (waiting.pending, waiting.dropped) == (5, 0)
        assert balanced(waiting)
        await other.commit()
    await eventually(lambda: recorder.stats().written == 10)
    stats = await recorder.stop()
    assert balanced(stats)
    cur = await db.execute("SELECT sum(verified)::int FROM canary.outcome_counts WHERE grain = 60")
    assert await cur.fetchone() == (10,)
