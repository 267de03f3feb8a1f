"""The `canary` rate, override, rollout, migrate and route commands against real Postgres.

Bad input must give one line on stderr, a non-zero exit, and change nothing.
"""

import json
from typing import Any

import psycopg
import pytest

from workers.cli import main

pytestmark = pytest.mark.postgres


@pytest.fixture
def canary(database_url, capsys, monkeypatch):
    """Run `canary ARGS...` against the test database; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CANARY_ACTOR", "tester@ci")

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def snapshot(url: str) -> tuple[Any, ...]:
    with psycopg.connect(url) as conn:
        rollouts = conn.execute(
            "SELECT name, rate, strategy, salt, reason, baseline_version, canary_version"
            " FROM canary.rollouts ORDER BY 1"
        ).fetchall()
        history = conn.execute("SELECT count(*) FROM canary.rollout_history").fetchone()
        overrides = conn.execute(
            "SELECT rollout, subject, version FROM canary.overrides ORDER BY 1, 2"
        ).fetchall()
    return rollouts, history, overrides


def test_the_done_when_sequence(canary, empty_database_url, monkeypatch):
    """migrate, set 25 % with a reason, show prints 25 %, history lists the change."""
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    code, out, _ = canary("migrate")
    assert code == 0
    assert "applied 0001_rollouts" in out
    code, out, _ = canary("migrate")
    assert (code, out.strip().startswith("schema up to date")) == (0, True)

    code, out, _ = canary("rate", "set", "verifymenow", "25%", "--reason", "first step")
    assert code == 0
    assert "0% -> 25%" in out

    code, out, _ = canary("rate", "show", "verifymenow")
    assert code == 0
    assert "verifymenow: 25% of instances go to v2, the rest to v1" in out
    assert "first step" in out

    code, out, _ = canary("rate", "history", "verifymenow")
    assert code == 0
    assert "0% -> 25%" in out
    assert "tester@ci" in out
    assert "first step" in out


def test_rate_set_accepts_a_fraction_and_by(canary, database_url):
    code, out, _ = canary(
        "rate", "set", "verifymenow", "0.25", "--reason", "x", "--by", "alice", "--json"
    )
    assert code == 0
    assert json.loads(out) == {
        "rollout": "verifymenow",
        "old_rate": 0.0,
        "new_rate": 0.25,
        "old_versions": [1, 2],
        "new_versions": [1, 2],
        "changed": True,
    }
    code, out, _ = canary("rate", "history", "verifymenow", "--json")
    newest = json.loads(out)[0]
    assert (newest["old_rate"], newest["new_rate"], newest["changed_by"], newest["reason"]) == (
        0.0,
        0.25,
        "alice",
        "x",
    )


def test_setting_the_same_rate_again_records_nothing(canary, database_url):
    canary("rate", "set", "verifymenow", "10%", "--reason", "a")
    before = snapshot(database_url)
    code, out, _ = canary("rate", "set", "verifymenow", "0.1", "--reason", "b")
    assert code == 0
    assert "nothing changed" in out
    assert snapshot(database_url) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rate", "set", "verifymenow", "-0.1", "--reason", "r"], "rate '-0.1' is outside 0..1"),
        (["rate", "set", "verifymenow", "1.5", "--reason", "r"], "rate '1.5' is outside 0..1"),
        (["rate", "set", "verifymenow", "150%", "--reason", "r"], "rate '150%' is outside 0..1"),
        (
            ["rate", "set", "verifymenow", "NaN", "--reason", "r"],
            "rate 'NaN' is not a finite number",
        ),
        (["rate", "set", "verifymenow", "lots", "--reason", "r"], "rate 'lots' is not a number"),
        (
            ["rate", "set", "nosuch", "0.5", "--reason", "r"],
            "unknown rollout 'nosuch' (known: verifymenow)",
        ),
        (["rate", "set", "verifymenow", "0.5"], "the following arguments are required: --reason"),
        (["rate", "set", "verifymenow", "0.5", "--reason", "  "], "a reason is required"),
        (["rate", "show", "nosuch"], "unknown rollout 'nosuch'"),
        (["rate", "history", "nosuch"], "unknown rollout 'nosuch'"),
        (["override", "add", "tester", "0", "--reason", "r"], "version must be a whole number"),
        (
            ["rate", "set", "verifymenow", "0", "--versions", "2:2", "--reason", "r"],
            "the baseline and canary versions must differ",
        ),
        (
            ["rate", "set", "verifymenow", "0", "--versions", "0:1", "--reason", "r"],
            "version must be a whole number from 1",
        ),
        (
            ["rate", "set", "verifymenow", "0", "--versions", "3", "--reason", "r"],
            "must be BASELINE:CANARY",
        ),
        (
            ["rollout", "create", "next", "--versions", "2:2", "--reason", "r"],
            "the baseline and canary versions must differ",
        ),
        (
            ["override", "add", "tester", "2", "--rollout", "nosuch", "--reason", "r"],
            "unknown rollout 'nosuch'",
        ),
        (["override", "remove", "nobody", "--reason", "r"], "subject 'nobody' has no override"),
        (["rollout", "create", "Bad Name", "--reason", "r"], "rollout name 'Bad Name' is invalid"),
        (
            ["rollout", "create", "verifymenow", "--reason", "r"],
            "rollout 'verifymenow' already exists",
        ),
        (["route", "someone", "--rollout", "nosuch"], "unknown rollout 'nosuch'"),
        (
            ["rate", "set", "verifymenow", "0.5", "--reason", "r", "--database-url", "mysql://x"],
            "DATABASE_URL must be a postgresql:// URL",
        ),
    ],
)
def test_bad_input_is_one_line_non_zero_and_changes_nothing(canary, database_url, args, message):
    before = snapshot(database_url)
    code, out, err = canary(*args)
    assert code != 0
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert snapshot(database_url) == before


def test_the_next_migration_moves_the_pair_at_100_percent_and_is_audited(canary, database_url):
    """1 -> 2 finished at 100 %, then 2 -> 3 starts at 5 %: everyone stays on v2 but 5 %."""
    canary("rate", "set", "verifymenow", "100%", "--reason", "v2 everywhere")
    code, out, _ = canary(
        "rate", "set", "verifymenow", "5%", "--versions", "2:3", "--reason", "v3 canary"
    )
    assert (code, out.strip()) == (
        0,
        "verifymenow: 100% -> 5%; versions v1:v2 -> v2:v3 (v3 canary)",
    )
    code, out, _ = canary("rate", "show", "verifymenow")
    assert "5% of instances go to v3, the rest to v2" in out
    code, out, _ = canary("rate", "history", "verifymenow")
    assert "100% -> 5%, versions v1:v2 -> v2:v3" in out
    code, out, _ = canary("rate", "set", "verifymenow", "5%", "--versions", "3:4", "--reason", "x")
    assert (code, out) == (1, "")  # mid-canary: refused
    code, out, _ = canary("rate", "set", "verifymenow", "0", "--reason", "back to v2")
    code, out, _ = canary("rate", "set", "verifymenow", "0", "--versions", "2:4", "--reason", "v4")
    assert (code, out.strip()) == (0, "verifymenow: versions v2:v3 -> v2:v4 (v4)")
    code, out, _ = canary("route", "applicant-1")
    assert code == 0
    assert "v2" in out or "v3" in out


def test_the_pair_is_refused_mid_canary_in_one_line(canary, database_url):
    canary("rate", "set", "verifymenow", "25%", "--reason", "ramp")
    before = snapshot(database_url)
    code, out, err = canary(
        "rate", "set", "verifymenow", "25%", "--versions", "2:3", "--reason", "too early"
    )
    assert (code, out) == (1, "")
    assert "sends 25% to v2 and the rest to v1: change its versions (to v2:v3) only at" in err
    assert len(err.strip().splitlines()) == 1
    assert snapshot(database_url) == before


def test_unreachable_database_is_one_line(canary, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    code, out, err = canary("rate", "set", "verifymenow", "0.5", "--reason", "r")
    assert code == 1
    assert out == ""
    assert err.startswith("canary: error: cannot reach Postgres at 127.0.0.1:1/none")
    assert len(err.strip().splitlines()) == 1


def test_overrides_add_list_remove_and_route(canary):
    code, out, _ = canary("override", "add", "tester-1", "2", "--reason", "internal tester")
    assert code == 0
    assert "tester-1 now always gets v2" in out
    code, out, _ = canary("route", "tester-1", "--json")
    assert json.loads(out)["version"] == 2
    assert json.loads(out)["rule"] == "override"
    assert json.loads(out)["bucket"] is None
    code, out, _ = canary("override", "list", "--json")
    assert [(o["subject"], o["version"], o["reason"]) for o in json.loads(out)] == [
        ("tester-1", 2, "internal tester")
    ]
    code, out, _ = canary("override", "remove", "tester-1", "--reason", "done")
    assert code == 0
    code, out, _ = canary("route", "tester-1", "--json")
    assert json.loads(out)["rule"] == "sticky"
    assert json.loads(out)["version"] == 1  # rate 0
    code, out, _ = canary("rate", "history", "verifymenow", "--json")
    changes = [h["change"] for h in json.loads(out)]
    assert changes[:2] == ["override_removed", "override_added"]


def test_route_explains_a_sticky_decision_and_stays_monotonic(canary):
    code, out, _ = canary("route", "applicant-42", "--json")
    assert code == 0
    bucket = json.loads(out)["bucket"]
    assert set(json.loads(out)) >= {"version", "bucket", "rule"}
    just_above = f"{min(1.0, bucket + 0.000002):.6f}"
    canary("rate", "set", "verifymenow", just_above, "--reason", "cover this bucket")
    code, out, _ = canary("route", "applicant-42", "--json")
    assert json.loads(out)["version"] == 2
    assert json.loads(out)["bucket"] == bucket
    code, out, _ = canary("route", "applicant-42")
    assert out.startswith("applicant-42 gets v2 under verifymenow")


def test_rollout_create_strategy_and_reshuffle(canary):
    code, out, _ = canary("rollout", "create", "payments", "--rate", "5%", "--reason", "new canary")
    assert (code, "payments: created at 5%" in out) == (0, True)
    code, out, _ = canary("route", "s", "--rollout", "payments", "--json")
    before = json.loads(out)["bucket"]
    code, _, _ = canary("rollout", "reshuffle", "payments", "--reason", "new salt")
    assert code == 0
    code, out, _ = canary("route", "s", "--rollout", "payments", "--json")
    assert json.loads(out)["bucket"] != before
    code, out, _ = canary("rollout", "strategy", "payments", "random", "--reason", "parity")
    assert "strategy sticky -> random" in out
    code, out, _ = canary("rate", "history", "payments", "--json")
    changes = json.loads(out)
    assert changes[0]["new_strategy"] == "random"
    assert changes[1]["salt_changed"] is True
    assert changes[2]["change"] == "created"


def test_rate_show_lists_all_rollouts_as_json(canary):
    canary("rollout", "create", "payments", "--reason", "r")
    code, out, _ = canary("rate", "show", "--json")
    assert code == 0
    assert [r["name"] for r in json.loads(out)] == ["payments", "verifymenow"]


def test_help_lists_every_command_with_a_description(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("migrate", "rate", "rollout", "override", "route"):
        assert f"    {command} " in out


def test_a_database_never_migrated_is_one_line(canary, empty_database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    code, out, err = canary("rate", "show")
    assert code == 1
    assert out == ""
    assert (
        err
        == "canary: error: the rollout store has no schema here yet: run `canary migrate` first\n"
    )


def test_the_workers_login_cannot_change_a_rate(canary, database_url, monkeypatch):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS test_worker_login")
        conn.execute("CREATE ROLE test_worker_login LOGIN IN ROLE canary_worker")
    try:
        before = snapshot(database_url)
        worker_url = database_url.replace(
            "postgresql://postgres@", "postgresql://test_worker_login@"
        )
        monkeypatch.setenv("DATABASE_URL", worker_url)
        code, out, err = canary("rate", "set", "verifymenow", "50%", "--reason", "sneaky")
        assert code == 1
        assert out == ""
        assert err.startswith("canary: error: the database refused: permission denied")
        assert snapshot(database_url) == before
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP ROLE IF EXISTS test_worker_login")
