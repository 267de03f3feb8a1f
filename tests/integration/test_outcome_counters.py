"""The counters (migrations 0003, 0005, 0006) stay true to the raw rows under at-least-once
delivery, an outage mid-flush, a plain SQL import, a migration over existing rows and pruning
while workers write."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from support.eventually import eventually
from test_recorder import make_job

from workers.postgres.migrations import load_migrations, migrate
from workers.postgres.outcomes import Outcome
from workers.postgres.recorder import OutcomeRecorder
from workers.postgres.retention import prune
from workers.routing import Decision, Rule
from workers.settings import RecorderSettings

pytestmark = pytest.mark.postgres

T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
OUTCOME_COPY = (
    "COPY canary.outcomes (recorded_at, rollout, process_instance_key, job_key, version,"
    " outcome, latency_ms, error_code, retries) FROM STDIN"
)
DECISION_COPY = (
    "COPY canary.decisions (recorded_at, rollout, process_instance_key, job_key, version, rule,"
    " bucket, rate) FROM STDIN"
)
OUTCOMES = ("verified", "rejected", "unreadable", "transient_failure", "incident")
COUNTED = "verified + rejected + unreadable + transient_failure + incident"


def outcome(key: int, *, at: datetime = T0, result: str = "verified", retries: int = 3,
            latency: float | None = 100.0, version: int = 1) -> tuple[Any, ...]:  # fmt: skip
    return (at, "verifymenow", key, key, version, result, latency, None, retries)


async def copy_rows(conn: psycopg.AsyncConnection[Any], statement: str, rows: list[Any]) -> None:
    async with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            await copy.write_row(row)


async def counted_by_outcome(conn: psycopg.AsyncConnection[Any], grain: int = 60) -> dict[str, Any]:
    cur = await conn.execute(
        f"SELECT {', '.join(f'coalesce(sum({o}), 0)::int' for o in OUTCOMES)}"
        " FROM canary.outcome_counts WHERE grain = %s",
        (grain,),
    )
    row = await cur.fetchone()
    assert row is not None
    return dict(zip(OUTCOMES, row, strict=True))


async def scalar(conn: psycopg.AsyncConnection[Any], sql: str, *params: Any) -> Any:
    cur = await conn.execute(sql, params)
    row = await cur.fetchone()
    assert row is not None
    return row[0]


async def raw_attempts(conn: psycopg.AsyncConnection[Any]) -> dict[Any, Any]:
    """The raw rows deduplicated the way the counters promise: the earliest row per attempt."""
    cur = await conn.execute(
        "SELECT outcome, count(*)::int FROM (SELECT DISTINCT ON (rollout, job_key, retries)"
        " outcome FROM canary.outcomes ORDER BY rollout, job_key, retries, recorded_at, id) a"
        " GROUP BY 1"
    )
    found = dict(await cur.fetchall())
    return {o: found.get(o, 0) for o in OUTCOMES}


async def test_a_batch_sent_twice_is_counted_once(db):
    batch = [outcome(k, result=OUTCOMES[k % 5]) for k in range(50)]
    await copy_rows(db, OUTCOME_COPY, batch)
    await copy_rows(db, OUTCOME_COPY, batch)  # the COMMIT's answer was lost: sent again
    assert await scalar(db, "SELECT count(*) FROM canary.outcomes") == 100
    for grain in (1, 60):
        assert await counted_by_outcome(db, grain) == dict.fromkeys(OUTCOMES, 10)
    # Retries are attempts of their own: the same job with retries 2 counts again.
    await copy_rows(db, OUTCOME_COPY, [outcome(0, retries=2, result="incident")])
    assert (await counted_by_outcome(db))["incident"] == 11


async def test_duplicates_inside_one_batch_count_once(db):
    await copy_rows(db, OUTCOME_COPY, [outcome(7), outcome(7), outcome(7)])
    assert (await counted_by_outcome(db))["verified"] == 1


async def test_an_earlier_row_of_an_attempt_arriving_later_takes_its_place(db):
    """Two workers ran the same attempt (a timeout redelivered it); the later one wrote first."""
    await copy_rows(db, OUTCOME_COPY, [outcome(1, at=T0 + timedelta(minutes=2),
                                               result="incident", latency=5000.0)])  # fmt: skip
    await copy_rows(db, OUTCOME_COPY, [outcome(1, at=T0, result="verified", latency=80.0)])
    cur = await db.execute(
        f"SELECT bin, verified, incident FROM canary.outcome_counts"
        f" WHERE grain = 60 AND {COUNTED} <> 0"
    )
    assert await cur.fetchall() == [(T0, 1, 0)]
    cur = await db.execute(
        "SELECT bin, buckets, attempts FROM canary.outcome_latency"
        " WHERE grain = 60 AND cardinality(buckets) > 0"
    )
    from workers.postgres.latency_sketch import bucket_of  # noqa: PLC0415

    assert await cur.fetchall() == [(T0, [bucket_of(80.0)], [1])]


async def test_decisions_count_once_per_job_with_exact_rate_sums(db):
    rows = [(T0, "verifymenow", k, k, 2 if k < 3 else 1, "sticky", 0.5, 0.1) for k in range(10)]
    await copy_rows(db, DECISION_COPY, rows)
    await copy_rows(db, DECISION_COPY, rows[:4])
    cur = await db.execute(
        "SELECT sum(decisions)::int, sum(rate_sum), sum(variance_sum) FROM canary.decision_counts"
        " WHERE grain = 60"
    )
    decisions, rate_sum, variance_sum = await cur.fetchone()
    assert decisions == 10
    assert str(rate_sum) == "1.0"  # numeric: exact, not 0.9999999999999999
    assert str(variance_sum) == "0.90"


async def test_the_same_attempts_from_two_writers_at_once_count_once(database_url):
    """The second batch waits on the first's keys, then counts only what is new."""
    first = [outcome(k) for k in range(100)]
    second = [outcome(k) for k in range(50, 150)]
    async with (
        await psycopg.AsyncConnection.connect(database_url) as one,
        await psycopg.AsyncConnection.connect(database_url) as two,
    ):
        await copy_rows(one, OUTCOME_COPY, first)  # uncommitted
        racing = asyncio.create_task(copy_rows(two, OUTCOME_COPY, second))
        await asyncio.sleep(0.3)
        assert not racing.done()  # waiting on the first writer's attempt keys
        await one.commit()
        await racing
        await two.commit()
        assert (await counted_by_outcome(one))["verified"] == 150


async def test_migration_counts_what_was_recorded_before_it(empty_database_url):
    async with await psycopg.AsyncConnection.connect(empty_database_url, autocommit=True) as db:
        await migrate(db, [m for m in load_migrations() if m.version <= 2])
        rows = [outcome(k, at=T0 + timedelta(seconds=k), result=OUTCOMES[k % 5])
                for k in range(250)]  # fmt: skip
        await copy_rows(db, OUTCOME_COPY, rows + rows[:20])
        await copy_rows(db, DECISION_COPY, [(T0, "verifymenow", 1, 1, 2, "random", 0.3, 0.5)] * 2)
        await migrate(db)
        assert await counted_by_outcome(db) == await raw_attempts(db)
        assert await counted_by_outcome(db, 1) == dict.fromkeys(OUTCOMES, 50)
        assert await scalar(db, "SELECT sum(decisions)::int FROM canary.decision_counts"
                                " WHERE grain = 60") == 1  # fmt: skip


async def test_a_duplicate_arriving_after_its_period_was_pruned_is_not_counted_again(db):
    old = datetime.now(UTC) - timedelta(days=3)
    await copy_rows(db, OUTCOME_COPY, [outcome(1, at=old), outcome(2, at=datetime.now(UTC))])
    result = await prune(db, older_than=timedelta(days=1), rollout=None, dry_run=False)
    assert result.rows["outcomes"] == 1
    assert result.rows["dedup_keys"] == 1
    assert (await counted_by_outcome(db))["verified"] == 2  # the history stays
    await copy_rows(db, OUTCOME_COPY, [outcome(1, at=old)])  # a late re-send
    assert (await counted_by_outcome(db))["verified"] == 2
    assert await scalar(db, "SELECT sum(late_outcomes)::int FROM canary.count_horizon") == 1


async def test_a_dry_run_says_what_would_go_and_drops_nothing(db):
    now = datetime.now(UTC)
    await copy_rows(db, OUTCOME_COPY, [outcome(k, at=now - timedelta(days=40)) for k in range(3)])
    dry = await prune(db, older_than=timedelta(days=30), rollout=None, dry_run=True,
                      counters_older_than=timedelta(days=35))  # fmt: skip
    # 3 raw rows, 3 keys; 1 second bin, 1 minute bin and 2 latency sketches (minute, hour).
    assert dry.rows == {"outcomes": 3, "decisions": 0, "dedup_keys": 3, "counter_rows": 4}
    assert await scalar(db, "SELECT count(*) FROM canary.outcomes") == 3
    assert await scalar(db, "SELECT count(*) FROM canary.count_horizon") == 0
    kept = await prune(db, older_than=timedelta(days=30), rollout=None, dry_run=False)
    assert kept.rows["counter_rows"] == 1  # only the second bin: minute bins are the history
    assert (await counted_by_outcome(db))["verified"] == 3


async def test_an_outage_mid_flush_leaves_every_attempt_counted_once(pg_proxy, db):
    """Connections are cut while batches are in flight, so some are re-sent after a commit."""
    proxy, url = pg_proxy
    settings = RecorderSettings(
        buffer_size=10_000, batch_size=25, flush_interval=0.01, stop_timeout=10
    )
    recorder = OutcomeRecorder(url, settings=settings, default_rollout="verifymenow")
    await recorder.start()

    async def cut_now_and_then() -> None:
        for _ in range(6):
            await asyncio.sleep(0.05)
            proxy.cut()

    cutter = asyncio.create_task(cut_now_and_then())
    for key in range(1500):
        recorder.record_outcome(make_job(key), version=1 + key % 2, outcome=Outcome.VERIFIED,
                                latency_ms=float(key % 300))  # fmt: skip
        if key % 100 == 0:
            await asyncio.sleep(0.01)
    await cutter
    await eventually(lambda: recorder.stats().pending == 0)
    stats = await recorder.stop()
    assert stats.written + stats.dropped + stats.pending == stats.recorded == 1500
    assert stats.dropped == 0
    assert stats.flush_failures >= 1
    assert (await counted_by_outcome(db))["verified"] == 1500
    assert await raw_attempts(db) == await counted_by_outcome(db)


async def test_pruning_while_workers_write_never_counts_an_attempt_twice(database_url, db):
    settings = RecorderSettings(buffer_size=10_000, batch_size=20, flush_interval=0.01,
                                stop_timeout=10)  # fmt: skip
    recorder = OutcomeRecorder(database_url, settings=settings, default_rollout="verifymenow")
    await recorder.start()

    async def write() -> None:
        for key in range(2000):
            job = make_job(key)
            for _ in range(2):  # every attempt recorded twice: at-least-once
                recorder.record_outcome(job, version=1, outcome=Outcome.VERIFIED, latency_ms=3.0)
            recorder.record_decision(job, "verifymenow", Decision(1, Rule.STICKY, 0.7, 0.5))
            if key % 50 == 0:
                await asyncio.sleep(0.03)  # about 1.2 s of writing: several prunes overlap it

    writing = asyncio.create_task(write())
    pruned = keys = 0
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as other:
        while not writing.done():
            # Both records of an attempt are made within microseconds: a margin of 0.1 s
            # keeps every key a duplicate could still need, and prunes the others.
            result = await prune(
                other,
                older_than=timedelta(milliseconds=50),
                rollout=None,
                dry_run=False,
                dedup_margin=timedelta(milliseconds=100),
            )
            pruned += result.rows["outcomes"]
            keys += result.rows["dedup_keys"]
            await asyncio.sleep(0.02)
    await writing
    await eventually(lambda: recorder.stats().pending == 0, timeout=90.0)
    stats = await recorder.stop()
    assert stats.written == 6000
    assert pruned > 0
    assert keys > 0
    counted = (await counted_by_outcome(db))["verified"]
    late = await scalar(db, "SELECT coalesce(sum(late_outcomes), 0)::int FROM canary.count_horizon")
    assert counted <= 2000  # never twice
    assert counted + late >= 2000  # and none lost without a trace
    decided = await scalar(db, "SELECT sum(decisions)::int FROM canary.decision_counts"
                               " WHERE grain = 60")  # fmt: skip
    assert decided <= 2000


@pytest.mark.parametrize(
    ("spacing", "window"),
    [
        # 48 minutes of rows; a step begun mid-minute: second bins, then minute bins.
        (timedelta(seconds=7.3), timedelta(minutes=20, seconds=30.5)),
        # 30 hours of rows; a step across hour edges: latency from minute, then hour bins.
        (timedelta(seconds=271.3), timedelta(hours=2, minutes=13, seconds=7.5)),
        # A step begun more than a day ago: minute bins only for the counts.
        (timedelta(seconds=271.3), timedelta(hours=26, minutes=5, seconds=3.3)),
    ],
    ids=["minutes", "hours", "over-a-day"],
)
async def test_the_analysis_figures_from_counters_match_the_raw_rows(db, spacing, window):
    from workers.operate.report import queries, raw_queries  # noqa: PLC0415
    from workers.postgres.latency_sketch import RELATIVE_ERROR  # noqa: PLC0415

    rows = [
        outcome(k, at=T0 - k * spacing, result=OUTCOMES[k % 5],
                latency=10.0 + k * 3.1, version=1 + k % 2)
        for k in range(400)
    ]  # fmt: skip
    await copy_rows(db, OUTCOME_COPY, rows + rows[::7])
    since = T0 - window
    counted = await queries.outcome_figures(db, "verifymenow", since, now=T0)
    raw = await raw_queries.outcome_figures(db, "verifymenow", since, now=T0)
    for version in (1, 2):
        c, r = counted[version], raw[version]
        assert (c.attempts, c.failures, c.incidents) == (r.attempts, r.failures, r.incidents)
        assert c.attempts > 0
        for sketched, exact in ((c.latency_p50_ms, r.latency_p50_ms),
                                (c.latency_p95_ms, r.latency_p95_ms)):  # fmt: skip
            assert sketched is not None
            assert exact is not None
            assert abs(sketched - exact) <= RELATIVE_ERROR * exact * 1.000001


async def test_the_report_is_the_same_after_the_raw_rows_are_pruned(db):
    from workers.operate.report import build_report  # noqa: PLC0415

    now = datetime.now(UTC)
    rows = [
        outcome(k, at=now - timedelta(days=10, minutes=k), result=OUTCOMES[k % 5],
                version=1 + k % 2)
        for k in range(300)
    ]  # fmt: skip
    await copy_rows(db, OUTCOME_COPY, rows)
    decided = now - timedelta(days=9)
    await copy_rows(
        db,
        DECISION_COPY,
        [(decided, "verifymenow", k, k, 1 + k % 2, "sticky", 0.4, 0.5) for k in range(40)],
    )
    before = await build_report(db, "verifymenow", None, now=now)
    result = await prune(db, older_than=timedelta(days=1), rollout=None, dry_run=False)
    assert result.rows["outcomes"] == 300
    assert await scalar(db, "SELECT count(*) FROM canary.outcomes") == 0
    after = await build_report(db, "verifymenow", None, now=now)
    assert after == before
    assert after.versions[1].attempts == 150
    assert after.split.decisions == 40


#: The raw rows as the counters count them: each attempt or decision once, as its earliest row.
FIRST_ATTEMPTS = (
    "(SELECT DISTINCT ON (rollout, job_key, retries) * FROM canary.outcomes"
    " ORDER BY rollout, job_key, retries, recorded_at, id) AS first_attempts"
)
FIRST_DECISIONS = (
    "(SELECT DISTINCT ON (rollout, job_key) * FROM canary.decisions"
    " ORDER BY rollout, job_key, recorded_at, id) AS first_decisions"
)


async def same_rows(
    conn: psycopg.AsyncConnection[Any], counted: str, raw: str, params: dict[str, Any]
) -> list[Any]:
    """The rows `counted` reads from the counters equal those `raw` computes, in any order."""
    found = sorted(await (await conn.execute(counted, params)).fetchall())
    assert found == sorted(await (await conn.execute(raw, params)).fetchall())
    return found


async def test_every_bin_of_every_grain_adds_up_to_the_raw_rows(db):
    """Migration 0005 sums a batch per second and adds the minutes and hours up from those."""
    rows = [
        outcome(k, at=T0 + timedelta(seconds=k * 37.7), result=OUTCOMES[k * 7 % 5],
                latency=None if k % 11 == 0 else 1.0 + (k * 7919 % 5000) / 7.0,
                version=1 + k % 2)
        for k in range(600)  # over six hours, in one batch
    ]  # fmt: skip
    await copy_rows(db, OUTCOME_COPY, rows + rows[::5])
    rates = (None, 0.1, 0.25, 0.3, 1 / 3, 0.7, 1.0)
    decisions = [
        (T0 + timedelta(seconds=k * 29.3), "verifymenow", k, k, 1 + k % 2,
         ("sticky", "random", "fallback")[k % 3], 0.5, rates[k % len(rates)])
        for k in range(500)
    ]  # fmt: skip
    await copy_rows(db, DECISION_COPY, decisions + decisions[::3])
    bin_of = "date_bin(%(size)s::interval, recorded_at, '2000-01-01 00:00:00+00')"
    for grain, size in ((1, "1 second"), (60, "1 minute")):
        counted = await same_rows(
            db,
            "SELECT bin, version, verified, rejected, unreadable, transient_failure, incident"
            f" FROM canary.outcome_counts WHERE grain = %(grain)s AND {COUNTED} <> 0",
            f"SELECT {bin_of}, version, "
            + ", ".join(f"count(*) FILTER (WHERE outcome = '{o}')" for o in OUTCOMES)
            + f" FROM {FIRST_ATTEMPTS} GROUP BY 1, 2",
            {"grain": grain, "size": size},
        )
        assert len(counted) > 100
        await same_rows(  # numeric sums: exactly equal, not approximately
            db,
            "SELECT bin, version, sum(decisions)::int, sum(rate_sum), sum(variance_sum)"
            " FROM canary.decision_counts WHERE grain = %(grain)s GROUP BY 1, 2",
            f"SELECT {bin_of}, version, count(*)::int, coalesce(sum(rate::numeric), 0),"
            " coalesce(sum(rate::numeric * (1 - rate::numeric)), 0)"
            f" FROM {FIRST_DECISIONS} GROUP BY 1, 2",
            {"grain": grain, "size": size},
        )
    for grain, size in ((60, "1 minute"), (3600, "1 hour")):
        await same_rows(
            db,
            "SELECT bin, version, b, n FROM canary.outcome_latency,"
            " unnest(buckets, attempts) AS u (b, n) WHERE grain = %(grain)s",
            f"SELECT {bin_of}, version, canary.latency_bucket(latency_ms), count(*)"
            f" FROM {FIRST_ATTEMPTS} WHERE latency_ms IS NOT NULL GROUP BY 1, 2, 3",
            {"grain": grain, "size": size},
        )


async def test_counting_carries_on_across_the_upgrade_to_migration_0005(empty_database_url):
    """Counters kept by 0003's triggers, then 0005's: duplicates across the two count once."""
    async with await psycopg.AsyncConnection.connect(empty_database_url, autocommit=True) as db:
        await migrate(db, [m for m in load_migrations() if m.version <= 4])
        before = [outcome(k, at=T0 + timedelta(seconds=k), result=OUTCOMES[k % 5])
                  for k in range(100)]  # fmt: skip
        await copy_rows(db, OUTCOME_COPY, before)
        await migrate(db)
        # A re-sent batch, an earlier row of an attempt counted before, and new attempts.
        await copy_rows(db, OUTCOME_COPY, before[50:])
        await copy_rows(
            db, OUTCOME_COPY, [outcome(3, at=T0 - timedelta(hours=1), result="incident")]
        )
        await copy_rows(db, OUTCOME_COPY, [outcome(k, at=T0 + timedelta(seconds=k))
                                           for k in range(100, 160)])  # fmt: skip
        assert await counted_by_outcome(db) == await raw_attempts(db)
        assert await counted_by_outcome(db, 1) == await raw_attempts(db)
        assert sum((await counted_by_outcome(db)).values()) == 160


async def test_a_plain_sql_import_is_counted_like_a_recorded_batch(db):
    """A backfill by INSERT ... SELECT, repeating itself and rows already recorded, counts once."""
    await copy_rows(db, OUTCOME_COPY, [outcome(k, result=OUTCOMES[k % 5]) for k in range(40)])
    await db.execute(
        "INSERT INTO canary.outcomes (recorded_at, rollout, process_instance_key, job_key,"
        " version, outcome, latency_ms, retries)"
        " SELECT %s, 'verifymenow', k, k, 1, (ARRAY['verified', 'rejected', 'unreadable',"
        " 'transient_failure', 'incident'])[k %% 5 + 1], 100.0, 3"
        " FROM generate_series(20, 79) AS k, generate_series(1, 2) AS twice",
        (T0,),
    )
    await db.execute(
        "INSERT INTO canary.decisions (recorded_at, rollout, process_instance_key, job_key,"
        " version, rule, bucket, rate)"
        " SELECT %s, 'verifymenow', k %% 30, k %% 30, 1, 'random', 0.5, 0.25"
        " FROM generate_series(1, 90) AS k",
        (T0,),
    )
    assert await scalar(db, "SELECT count(*) FROM canary.outcomes") == 160
    assert await counted_by_outcome(db) == await raw_attempts(db) == dict.fromkeys(OUTCOMES, 16)
    cur = await db.execute(
        "SELECT sum(decisions)::int, sum(rate_sum) FROM canary.decision_counts WHERE grain = 1"
    )
    assert await cur.fetchone() == (30, Decimal("7.5"))


async def test_a_batch_of_new_known_and_repeated_attempts_counts_each_once(db):
    """One known attempt sends the whole batch down the upsert path: the new ones still count."""
    await copy_rows(db, OUTCOME_COPY, [outcome(1, at=T0 + timedelta(seconds=5))])
    await copy_rows(db, DECISION_COPY, [(T0, "verifymenow", 1, 1, 1, "sticky", 0.5, 0.1)])
    await copy_rows(
        db,
        OUTCOME_COPY,
        [
            outcome(1, at=T0 + timedelta(seconds=9), result="incident"),  # known, later: no
            outcome(1, at=T0, result="rejected"),  # known, earlier: takes its place
            outcome(2, result="unreadable"),
            outcome(2, at=T0 + timedelta(seconds=1), result="incident"),  # repeated in the batch
            outcome(3, retries=2),
        ],
    )
    await copy_rows(
        db,
        DECISION_COPY,
        [(T0 - timedelta(seconds=1), "verifymenow", k, k, 2, "random", 0.5, 0.3)
         for k in (1, 2, 2)],
    )  # fmt: skip
    assert await counted_by_outcome(db) == await raw_attempts(db)
    assert await counted_by_outcome(db) == {
        "verified": 1, "rejected": 1, "unreadable": 1, "transient_failure": 0, "incident": 0
    }  # fmt: skip
    cur = await db.execute(
        "SELECT version, sum(decisions)::int FROM canary.decision_counts WHERE grain = 60"
        " GROUP BY 1 HAVING sum(decisions) <> 0"
    )
    assert await cur.fetchall() == [(2, 2)]  # job 1's earlier decision replaced its first


async def test_counting_carries_on_across_the_upgrade_to_migration_0006(empty_database_url):
    """Dedup keys written before 0006 (ordered by rollout first) still find their duplicates."""
    async with await psycopg.AsyncConnection.connect(empty_database_url, autocommit=True) as db:
        await migrate(db, [m for m in load_migrations() if m.version <= 5])
        before = [outcome(k, at=T0 + timedelta(seconds=k), result=OUTCOMES[k % 5])
                  for k in range(100)]  # fmt: skip
        decided = [(T0, "verifymenow", k, k, 1, "sticky", 0.5, 0.1) for k in range(10)]
        await copy_rows(db, OUTCOME_COPY, before)
        await copy_rows(db, DECISION_COPY, decided)
        await migrate(db)
        await copy_rows(db, OUTCOME_COPY, before[50:])
        await copy_rows(
            db, OUTCOME_COPY, [outcome(3, at=T0 - timedelta(hours=1), result="incident")]
        )
        await copy_rows(db, DECISION_COPY, [*decided, (T0, "verifymenow", 10, 10, 2, "random",
                                                       0.5, 0.1)])  # fmt: skip
        assert await counted_by_outcome(db) == await raw_attempts(db)
        assert sum((await counted_by_outcome(db, 1)).values()) == 100
        assert await scalar(db, "SELECT sum(decisions)::int FROM canary.decision_counts"
                                " WHERE grain = 1") == 11  # fmt: skip
