"""`canary report` and the guarded analysis compare the rollout's own pair (v2 vs v3, say)."""

import asyncio
import json
from datetime import timedelta

import psycopg
import pytest
from test_report import HOUR_AGO, NOW, attempts, decisions, report, seed

from workers.cli import main
from workers.guarded.figures import step_figures
from workers.operate.report import Verdict
from workers.postgres import rollout_store

pytestmark = pytest.mark.postgres


async def move_to_2_3(url: str) -> None:
    """1 -> 2 finished at 100 %; the next rollout compares v3 with v2 at 50 %."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await rollout_store.set_rate(conn, "verifymenow", rate=1.0, actor="t", reason="v2 done")
        await rollout_store.set_rate(
            conn, "verifymenow", rate=0.5, versions=(2, 3), actor="t", reason="v3 canary"
        )


def seed_2_3(url: str) -> None:
    """v1's old records (they must not count), v2 healthy, v3 failing five times as often."""
    v3_decisions = [
        (at, rollout, pik, key, 3 if version == 2 else 2, rule, bucket, rate)
        for at, rollout, pik, key, version, rule, bucket, rate in decisions(
            600, 300, rate=0.5, start=NOW - timedelta(minutes=20)
        )
    ]
    seed(
        url,
        outcomes=[
            *attempts(1, 1000, 500, start=HOUR_AGO, end=NOW),
            *attempts(2, 1000, 20, start=HOUR_AGO, end=NOW),
            *attempts(3, 1000, 100, start=HOUR_AGO, end=NOW),
        ],
        decided=v3_decisions,
    )


async def test_the_report_compares_the_rollouts_canary_with_its_baseline(database_url):
    await move_to_2_3(database_url)
    seed_2_3(database_url)
    result = await report(database_url)
    assert result.pair == (2, 3)
    assert set(result.versions) == {2, 3}
    assert result.test.verdict is Verdict.WORSE
    assert result.verdict_label == "v3 worse"
    assert (result.test.baseline_failures, result.test.canary_failures) == (20, 100)
    assert (result.split.decisions, result.split.canary_decisions) == (600, 300)
    assert not result.split.mismatch


def test_the_report_labels_say_v2_and_v3(database_url, capsys):
    asyncio.run(move_to_2_3(database_url))
    seed_2_3(database_url)
    assert main(["report", "--since", "2h", "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "v3 worse" in out
    assert "rate now 50% to v3, the rest v2" in out
    assert "failures v2 20, v3 100" in out
    assert " v1 " not in out
    assert main(["report", "--json", "--since", "2h", "--database-url", database_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["baseline_version"], data["canary_version"]) == (2, 3)
    assert set(data["versions"]) == {"v2", "v3"}
    assert data["verdict"]["verdict"] == "v3 worse"
    assert {"v2", "v3"} <= set(data["series"]["buckets"][0])


async def test_the_guarded_analysis_reads_v3_figures(database_url):
    seed_2_3(database_url)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        figures = await step_figures(
            conn, "verifymenow", since=HOUR_AGO, baseline_version=2, canary_version=3
        )
    assert (figures.baseline.attempts, figures.baseline.failures) == (1000, 20)
    assert (figures.canary.attempts, figures.canary.failures) == (1000, 100)
