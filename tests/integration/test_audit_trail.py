"""Issue 16, item 6: the audit trail can be neither broken nor forged.

Stored strings (reasons, actors, subjects) are shown as text, never as Rich markup or
terminal escapes; every history row records the database login beside the declared actor;
a change of the reason or the actor alone leaves a history row too (migration 0004).
"""

from typing import Any

import psycopg
import pytest
from test_rate_commands import canary  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres

ESCAPE = "\x1b]0;owned\x07\x1b[31mred\u202eevil"


def history(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT change, changed_by, database_user, reason"
            " FROM canary.rollout_history ORDER BY id"
        ).fetchall()


@pytest.mark.parametrize("reason", ["[/]", "[/x]", "[bold]not bold[/bold]", "[link=x]y"])
def test_a_reason_that_looks_like_markup_is_shown_as_typed(canary, reason):  # noqa: F811
    assert canary("rate", "set", "verifymenow", "10%", "--reason", reason)[0] == 0
    assert canary("override", "add", "A-1", "2", "--reason", reason)[0] == 0
    for args in (["rate", "history", "verifymenow"], ["override", "list"], ["rate", "show"]):
        code, out, err = canary(*args)
        assert (code, err) == (0, "")
        assert reason in out


def test_terminal_escapes_in_stored_strings_never_reach_the_terminal(canary):  # noqa: F811
    assert canary("rate", "set", "verifymenow", "10%", "--reason", ESCAPE, "--by", ESCAPE)[0] == 0
    assert canary("override", "add", ESCAPE, "2", "--reason", ESCAPE)[0] == 0
    for args in (
        ["rate", "history", "verifymenow"],
        ["override", "list"],
        ["rate", "show"],
        ["rate", "show", "verifymenow"],
    ):
        code, out, _ = canary(*args)
        assert code == 0
        assert "\x1b" not in out
        assert "\x07" not in out
        assert "\u202e" not in out
        assert "\\x1b" in out


def test_every_history_row_records_the_database_login_beside_the_declared_actor(
    canary,  # noqa: F811
    database_url,
):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS test_mallory")
        conn.execute("CREATE ROLE test_mallory LOGIN IN ROLE canary_operator")
    try:
        mallory = database_url.replace("postgresql://postgres@", "postgresql://test_mallory@")
        with psycopg.connect(mallory, autocommit=True) as conn:
            conn.execute(
                "UPDATE canary.rollouts SET rate = 0.5, updated_by = 'alice@prod',"
                " reason = 'alice said so' WHERE name = 'verifymenow'"
            )
        code, out, _ = canary("rate", "history", "verifymenow", "--json")
        assert code == 0
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP ROLE IF EXISTS test_mallory")
    assert history(database_url)[-1] == ("updated", "alice@prod", "test_mallory", "alice said so")
    assert '"database_user": "test_mallory"' in out


def test_a_change_of_the_reason_or_the_actor_alone_leaves_a_history_row(
    canary,  # noqa: F811
    database_url,
):
    assert canary("override", "add", "A-1", "2", "--reason", "first")[0] == 0
    before = len(history(database_url))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE canary.rollouts SET reason = 'only the reason'")
        conn.execute("UPDATE canary.rollouts SET updated_by = 'only-the-actor'")
        conn.execute("UPDATE canary.overrides SET reason = 'override reason only'")
    rows = history(database_url)[before:]
    assert [(change, by, reason) for change, by, _, reason in rows] == [
        ("updated", "postgres", "only the reason"),
        ("updated", "only-the-actor", "(no reason given)"),
        ("override_changed", "postgres", "override reason only"),
    ]
    assert {login for _, _, login, _ in rows} == {"postgres"}
