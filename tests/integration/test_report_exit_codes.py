"""`canary report --fail-on worse`: a pipeline step gates on the verdict by its exit code."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.test_report import attempts, decisions, seed, seed_recent
from workers.cli import main
from workers.cli.report_cmd import EXIT_V2_WORSE


def test_fail_on_worse_exits_3_when_v2_is_worse_and_0_without_the_flag(database_url, capsys):
    seed_recent(database_url)  # v2 fails about seven times as often as v1
    argv = ["report", "--since", "1h", "--database-url", database_url]
    assert main(argv) == 0
    assert main([*argv, "--fail-on", "worse"]) == EXIT_V2_WORSE == 3
    assert main([*argv, "--fail-on", "worse", "--json"]) == 3
    assert "v2 worse" in capsys.readouterr().out


def test_fail_on_worse_exits_0_when_v2_is_no_worse(database_url):
    now = datetime.now(UTC)
    start = now - timedelta(minutes=20)
    seed(
        database_url,
        outcomes=[
            *attempts(1, 1000, 50, start=start, end=now),
            *attempts(2, 1000, 50, start=start, end=now),
        ],
        decided=decisions(2000, 1000, rate=0.5, start=start),
    )
    argv = ["report", "--since", "1h", "--fail-on", "worse", "--database-url", database_url]
    assert main(argv) == 0


def test_fail_on_takes_only_known_verdicts(database_url, capsys):
    with pytest.raises(SystemExit) as usage:
        main(["report", "--fail-on", "better", "--database-url", database_url])
    assert usage.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
