"""`canary report` on seeded outcomes where the right answer is known."""

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from workers.cli import main
from workers.operate.report import ReportSettings, Verdict, build_report
from workers.operate.report.model import Report

pytestmark = pytest.mark.postgres

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
OUTCOME_COLUMNS = (
    "recorded_at, rollout, process_instance_key, job_key, version, outcome, latency_ms,"
    " error_code, retries"
)
DECISION_COLUMNS = (
    "recorded_at, rollout, process_instance_key, job_key, version, rule, bucket, rate"
)

_keys = iter(range(1, 10**9))


def attempts(
    version: int,
    n: int,
    failures: int,
    *,
    start: datetime,
    end: datetime,
    rejections: int = 0,
    rollout: str = "verifymenow",
    latency_ms: float = 100.0,
) -> list[tuple[Any, ...]]:
    """`n` attempts spread evenly over [start, end), failures and rejections spread among them."""
    failing = {int(j * n / failures) for j in range(failures)}
    others = [i for i in range(n) if i not in failing]
    rejected = {others[int(j * len(others) / rejections)] for j in range(rejections)}
    rows = []
    span = (end - start) / n
    for i in range(n):
        if i in failing:
            outcome = "incident" if i % 2 else "transient_failure"
        elif i in rejected:
            outcome = "rejected"
        else:
            outcome = "verified"
        key = next(_keys)
        rows.append(
            (start + span * i, rollout, key, key, version, outcome, latency_ms + i % 10, None, 3)
        )
    return rows


def decisions(
    n: int, v2: int, *, rate: float, start: datetime, rule: str = "sticky"
) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(n):
        key = next(_keys)
        version = 2 if i < v2 else 1
        rows.append(
            (start + timedelta(seconds=i), "verifymenow", key, key, version, rule, 0.5, rate)
        )
    return rows


def seed(
    url: str, *, outcomes: Iterable[tuple[Any, ...]] = (), decided: Iterable[tuple[Any, ...]] = ()
) -> None:
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY canary.outcomes ({OUTCOME_COLUMNS}) FROM STDIN") as copy:
            for row in outcomes:
                copy.write_row(row)
        with cur.copy(f"COPY canary.decisions ({DECISION_COLUMNS}) FROM STDIN") as copy:
            for row in decided:
                copy.write_row(row)


async def report(url: str, since: timedelta | None = timedelta(hours=1), **knobs) -> Report:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return await build_report(
            conn, "verifymenow", since, settings=ReportSettings(**knobs), now=NOW
        )


HOUR_AGO = NOW - timedelta(hours=1)


async def test_v2_failing_five_times_as_often_is_called_worse(database_url):
    seed(
        database_url,
        outcomes=[
            *attempts(1, 1000, 20, start=HOUR_AGO, end=NOW),
            *attempts(2, 1000, 100, start=HOUR_AGO, end=NOW),
        ],
    )
    result = await report(database_url)
    assert result.test.verdict is Verdict.WORSE
    assert result.test.llr >= result.test.upper
    assert (result.test.baseline_failures, result.test.canary_failures) == (20, 100)
    assert result.test.decided_at is not None
    assert HOUR_AGO < result.test.decided_at < NOW
    assert result.versions[2].failure.value == pytest.approx(0.1)


async def test_equal_failure_rates_are_called_no_worse(database_url):
    seed(
        database_url,
        outcomes=[
            *attempts(1, 1000, 50, start=HOUR_AGO, end=NOW, rejections=30),
            *attempts(2, 1000, 50, start=HOUR_AGO, end=NOW, rejections=30),
        ],
    )
    result = await report(database_url)
    assert result.test.verdict is Verdict.NO_WORSE
    assert result.test.llr <= result.test.lower
    # Rejections are business outcomes: reported, never counted as failures.
    assert result.versions[1].rejection.count == 30
    assert result.versions[1].failure.count == 50


async def test_a_regression_after_an_all_clear_is_still_called_worse(database_url):
    """The LLR first crosses the lower bound, then v2 starts failing: the upper crossing wins."""
    half = NOW - timedelta(minutes=30)
    seed(
        database_url,
        outcomes=[
            *attempts(1, 1000, 50, start=HOUR_AGO, end=half),
            *attempts(2, 1000, 50, start=HOUR_AGO, end=half),
            *attempts(1, 1000, 20, start=half, end=NOW),
            *attempts(2, 1000, 200, start=half, end=NOW),
        ],
    )
    result = await report(database_url)
    assert result.test.verdict is Verdict.WORSE
    assert result.test.decided_at is not None
    assert result.test.decided_at > half


async def test_a_crossing_counts_even_if_the_llr_later_drifts_back(database_url):
    """Checked continuously, the report would have said "worse" at the crossing: it still does."""
    early = NOW - timedelta(minutes=50)
    seed(
        database_url,
        outcomes=[
            *attempts(1, 100, 2, start=HOUR_AGO, end=early),
            *attempts(2, 100, 20, start=HOUR_AGO, end=early),
            *attempts(1, 2000, 100, start=early, end=NOW),
            *attempts(2, 2000, 60, start=early, end=NOW),
        ],
    )
    result = await report(database_url)
    assert result.test.llr < result.test.upper
    assert result.test.verdict is Verdict.WORSE
    assert result.test.decided_at is not None
    assert result.test.decided_at <= early + timedelta(minutes=3)


async def test_too_few_attempts_give_not_enough_data_even_with_lopsided_failures(database_url):
    seed(
        database_url,
        outcomes=[
            *attempts(1, 30, 0, start=HOUR_AGO, end=NOW),
            *attempts(2, 30, 10, start=HOUR_AGO, end=NOW),
        ],
    )
    result = await report(database_url)
    assert result.test.verdict is Verdict.NOT_ENOUGH_DATA
    assert "50 per version" in result.test.reason
    assert result.test.llr > result.test.upper  # the guard, not the LLR, holds it back


async def test_too_few_failures_give_not_enough_data(database_url):
    seed(
        database_url,
        outcomes=[
            *attempts(1, 500, 2, start=HOUR_AGO, end=NOW),
            *attempts(2, 500, 1, start=HOUR_AGO, end=NOW),
        ],
    )
    result = await report(database_url)
    assert result.test.verdict is Verdict.NOT_ENOUGH_DATA
    assert "3 technical failure(s)" in result.test.reason


async def test_each_rate_period_is_compared_with_its_own_share(database_url, db):
    """5% then 50% of traffic on v2, an outage hitting both in the second period: no worse.

    With one share for the whole window (27.5%) the second period's failures would look like
    v2's fault and the test would call it worse.
    """
    change = NOW - timedelta(minutes=30)
    await db.execute(
        "INSERT INTO canary.rollout_history (rollout, change, changed_at, changed_by, reason,"
        " old_rate, new_rate) VALUES ('verifymenow', 'updated', %s, 'test', 'ramp', 0.05, 0.5)",
        (change,),
    )
    seed(
        database_url,
        outcomes=[
            *attempts(1, 950, 48, start=HOUR_AGO, end=change),
            *attempts(2, 50, 2, start=HOUR_AGO, end=change),
            *attempts(1, 500, 100, start=change, end=NOW),
            *attempts(2, 500, 100, start=change, end=NOW),
        ],
    )
    result = await report(database_url)
    assert result.test.strata == 2
    assert result.test.verdict is Verdict.NO_WORSE


async def test_a_skewed_split_is_flagged_and_a_fair_one_is_not(database_url):
    seed(database_url, decided=decisions(1000, 160, rate=0.1, start=HOUR_AGO))
    skewed = await report(database_url)
    assert skewed.split.mismatch
    assert skewed.split.expected_canary == pytest.approx(100)
    assert skewed.split.observed_share == pytest.approx(0.16)


async def test_a_fair_split_with_overrides_is_not_flagged(database_url):
    seed(
        database_url,
        decided=[
            *decisions(1000, 104, rate=0.1, start=HOUR_AGO),
            *decisions(40, 40, rate=0.1, start=HOUR_AGO, rule="override"),
        ],
    )
    fair = await report(database_url)
    assert not fair.split.mismatch
    assert fair.split.decisions == 1000  # overrides decide no share: left out of the test
    assert fair.split.excluded == {"override": 40, "fallback": 0}


async def test_a_redelivered_decision_is_counted_once(database_url):
    rows = decisions(100, 10, rate=0.1, start=HOUR_AGO)
    seed(database_url, decided=[*rows, *rows[:5]])
    assert (await report(database_url)).split.decisions == 100


async def test_rows_before_the_window_are_left_out(database_url):
    seed(
        database_url,
        outcomes=[
            *attempts(1, 100, 50, start=NOW - timedelta(hours=5), end=NOW - timedelta(hours=4)),
            *attempts(1, 100, 0, start=HOUR_AGO, end=NOW),
        ],
    )
    result = await report(database_url)
    assert result.versions[1].attempts == 100
    assert result.versions[1].failure.count == 0
    everything = await report(database_url, since=None)
    assert everything.versions[1].attempts == 200


# -- the command ----------------------------------------------------------------------------


def seed_recent(url: str) -> None:
    now = datetime.now(UTC)
    seed(
        url,
        outcomes=[
            *attempts(1, 300, 6, start=now - timedelta(minutes=20), end=now),
            *attempts(2, 300, 40, start=now - timedelta(minutes=20), end=now),
        ],
        decided=decisions(600, 300, rate=0.5, start=now - timedelta(minutes=20)),
    )


def test_json_output_has_the_documented_shape(database_url, capsys):
    seed_recent(database_url)
    assert main(["report", "--json", "--since", "1h", "--database-url", database_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"rollout", "since", "until", "versions", "split", "verdict", "series"}
    v2 = data["versions"]["v2"]
    assert v2["attempts"] == 300
    assert v2["failure"]["count"] == 40
    assert v2["failure"]["low"] < v2["failure"]["rate"] < v2["failure"]["high"]
    assert set(v2["latency_ms"]) == {"p50", "p95"}
    assert data["verdict"]["verdict"] == "v2 worse"
    for key in ("llr", "upper_bound", "lower_bound", "alpha", "beta", "ratio", "share"):
        assert isinstance(data["verdict"][key], float)
    assert data["split"]["mismatch"] is False
    assert len(data["series"]["buckets"]) == 24
    assert sum(b["v2"]["failures"] for b in data["series"]["buckets"]) == 40


def test_terminal_report_shows_the_verdict_numbers_and_a_chart(database_url, capsys):
    seed_recent(database_url)
    assert main(["report", "--since", "1h", "--columns", "12", "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "v2 worse" in out
    assert re.search(r"LLR \d+\.\d\d, bounds -1\.56 / 2\.77", out)
    assert "failure rate over time" in out
    assert "·" in out  # buckets of the hour with no attempts are marked, not drawn as 0
    assert "█" in out


@pytest.mark.parametrize("name", ["chart.svg", "chart.png"])
def test_plot_writes_the_chart_in_the_format_of_its_extension(database_url, tmp_path, name):
    seed_recent(database_url)
    target = tmp_path / name
    assert main(["report", "--plot", str(target), "--database-url", database_url]) == 0
    data = target.read_bytes()
    if name.endswith(".png"):
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        assert b"<svg" in data[:2000]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "nope"], "unknown rollout 'nope'"),
        (["report", "--since", "yesterday"], "--since 'yesterday' is not a duration"),
        (["report", "--plot", "{missing}/chart.png"], "does not exist"),
        (["report", "--plot", "{tmp}/chart.pdf"], "use a .svg or .png"),
        (["report", "--ratio", "0.5"], "--ratio must be greater than 1"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_nothing_written(
    database_url, tmp_path, capsys, args, message
):
    seed_recent(database_url)
    argv = [a.format(missing=tmp_path / "missing", tmp=tmp_path) for a in args]
    assert main([*argv, "--database-url", database_url]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert message in captured.err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_plot_path_is_refused_before_anything_is_written(database_url, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "chart.png").mkdir()  # a directory where the file would go
    assert (
        main(["report", "--plot", str(locked / "chart.png"), "--database-url", database_url]) == 1
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--plot" in captured.err
    assert captured.err.count("\n") == 1


def test_prune_deletes_only_rows_older_than_the_cutoff(database_url, capsys):
    now = datetime.now(UTC)
    seed(
        database_url,
        outcomes=[
            *attempts(1, 10, 0, start=now - timedelta(days=40), end=now - timedelta(days=35)),
            *attempts(
                1,
                5,
                0,
                start=now - timedelta(days=40),
                end=now - timedelta(days=35),
                rollout="other",
            ),
            *attempts(1, 7, 0, start=now - timedelta(days=2), end=now - timedelta(days=1)),
        ],
        decided=decisions(4, 1, rate=0.1, start=now - timedelta(days=31)),
    )
    assert (
        main(
            ["prune", "--older-than", "30d", "--dry-run", "--json", "--database-url", database_url]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert (rows["decisions"], rows["outcomes"]) == (4, 15)
    assert rows["dedup_keys"] == 19  # one per attempt or decision counted
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO canary.rollouts (name) VALUES ('other')")
    assert (
        main(["prune", "--older-than", "30d", "--rollout", "other", "--database-url", database_url])
        == 0
    )
    assert "deleted 0 decision(s) and 5 outcome(s) of other" in capsys.readouterr().out
    assert main(["prune", "--older-than", "30d", "--database-url", database_url]) == 0
    with psycopg.connect(database_url) as conn:
        left = conn.execute("SELECT count(*) FROM canary.outcomes").fetchone()
        gone = conn.execute("SELECT count(*) FROM canary.decisions").fetchone()
    assert left == (7,)
    assert gone == (0,)


def test_prune_refuses_a_bad_age_and_deletes_nothing(database_url, capsys):
    now = datetime.now(UTC)
    seed(database_url, outcomes=attempts(1, 3, 0, start=now - timedelta(days=90), end=now))
    assert main(["prune", "--older-than", "0d", "--database-url", database_url]) == 1
    assert "--older-than must be longer than 0" in capsys.readouterr().err
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM canary.outcomes").fetchone() == (3,)


async def test_a_rollout_with_nothing_recorded_reports_not_enough_data(database_url):
    from rich.console import Console  # noqa: PLC0415

    from workers.operate.report import render_report  # noqa: PLC0415

    result = await report(database_url, since=None)
    assert result.test.verdict is Verdict.NOT_ENOUGH_DATA
    assert result.versions[1].failure.value is None
    console = Console(record=True, width=120)
    render_report(result, console)
    text = console.export_text()
    assert "not enough data" in text
    assert "no sticky or random decisions recorded" in text
