"""Issue 16, item 6: the audit trail can be neither broken nor forged.

Stored strings (reasons, actors, subjects) are shown as text, never as Rich markup or
terminal escapes; every history row records the database login beside the declared actor;
a change of the reason or the actor alone leaves a history row too (migration 0004). Each
`canary` command runs as a separate process, as an operator runs it: a crash would show as
a traceback and an exit code, as it did (`rate history` after `--reason '[/]'`).
"""

import asyncio
from typing import Any

import psycopg
import pytest
from support.commands import canary

pytestmark = pytest.mark.postgres

ESCAPE = "\x1b]0;owned\x07\x1b[31mred\u202eevil"
MARKUP = ("[/]", "[/x]", "[bold]not bold[/bold]", "[link=x]y")


def history(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT change, changed_by, database_user, reason"
            " FROM canary.rollout_history ORDER BY id"
        ).fetchall()


async def run_all(database_url: str, *commands: list[str]) -> list[tuple[int, str, str]]:
    """`canary` once per command, each its own process, all at once (they start in seconds
    each on a loaded machine; the writes commute, the reads only read)."""
    env = {"DATABASE_URL": database_url, "CANARY_ACTOR": "tester@ci"}
    return list(await asyncio.gather(*(canary(*argv, env=env) for argv in commands)))


async def test_a_reason_that_looks_like_markup_is_shown_as_typed(database_url):
    # The two repros (`[/]` broke rate history, `[/x]` override list) and two more.
    written = await run_all(
        database_url,
        ["rate", "set", "verifymenow", "10%", "--reason", MARKUP[0]],
        ["rate", "set", "verifymenow", "20%", "--reason", MARKUP[2]],
        ["override", "add", "A-1", "2", "--reason", MARKUP[1]],
        ["override", "add", "A-2", "1", "--reason", MARKUP[3]],
    )
    assert [code for code, _, _ in written] == [0, 0, 0, 0]
    shown = await run_all(
        database_url, ["rate", "history", "verifymenow"], ["override", "list"], ["rate", "show"]
    )
    for (code, out, err), stored in zip(shown[:2], (MARKUP[0::2], MARKUP[1::2]), strict=True):
        assert (code, err) == (0, "")
        for reason in stored:
            assert reason in out
    code, out, err = shown[2]
    assert (code, err) == (0, "")
    assert "verifymenow" in out


async def test_terminal_escapes_in_stored_strings_never_reach_the_terminal(database_url):
    written = await run_all(
        database_url,
        ["rate", "set", "verifymenow", "10%", "--reason", ESCAPE, "--by", ESCAPE],
        ["override", "add", ESCAPE, "2", "--reason", ESCAPE],
    )
    assert [code for code, _, _ in written] == [0, 0]
    shown = await run_all(
        database_url,
        ["rate", "history", "verifymenow"],
        ["override", "list"],
        ["rate", "show"],
        ["rate", "show", "verifymenow"],
    )
    for code, out, _ in shown:
        assert code == 0
        assert "\x1b" not in out
        assert "\x07" not in out
        assert "\u202e" not in out
        assert "\\x1b" in out


async def test_every_history_row_records_the_database_login_beside_the_declared_actor(
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
        [(code, out, _)] = await run_all(database_url, ["rate", "history", "verifymenow", "--json"])
        assert code == 0
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP ROLE IF EXISTS test_mallory")
    assert history(database_url)[-1] == ("updated", "alice@prod", "test_mallory", "alice said so")
    assert '"database_user": "test_mallory"' in out


async def test_a_change_of_the_reason_or_the_actor_alone_leaves_a_history_row(database_url):
    [(code, _, _)] = await run_all(
        database_url, ["override", "add", "A-1", "2", "--reason", "first"]
    )
    assert code == 0
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
