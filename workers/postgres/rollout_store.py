"""Reading and changing rollouts in Postgres: what the `canary rate`/`override` commands do.

Every change runs in one transaction that first names who and why (``canary.actor``,
``canary.reason``) so the audit trigger records them, and that locks the rollout row so two
operators changing the same rollout at once are serialised. Unknown rollouts and bad values
raise `InputError` before anything is written.

The workers' read path (in memory, LISTEN/NOTIFY) is `rollout_cache`; this module is for
commands and tests.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg.rows import class_row

from workers.errors import ConfigError, InputError
from workers.routing import (
    RolloutConfig,
    Strategy,
    Version,
    check_pair,
    format_pair,
    format_rate,
    parse_version,
)
from workers.settings import check_rollout_name

MAX_REASON_LENGTH: Final = 500


@dataclass(frozen=True, slots=True)
class RolloutRow:
    name: str
    rate: float
    strategy: str
    salt: str
    updated_at: datetime
    updated_by: str
    reason: str
    overrides: int
    #: `rate` of the subjects get `canary_version`, the rest `baseline_version`.
    baseline_version: int = 1
    canary_version: int = 2

    @property
    def versions(self) -> tuple[int, int]:
        return self.baseline_version, self.canary_version

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rate": self.rate,
            "baseline_version": self.baseline_version,
            "canary_version": self.canary_version,
            "strategy": self.strategy,
            "updated_at": self.updated_at.isoformat(),
            "updated_by": self.updated_by,
            "reason": self.reason,
            "overrides": self.overrides,
        }


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: int
    rollout: str
    change: str
    changed_at: datetime
    changed_by: str
    reason: str
    old_rate: float | None
    new_rate: float | None
    old_strategy: str | None
    new_strategy: str | None
    salt_changed: bool
    subject: str | None
    old_version: int | None
    new_version: int | None
    #: The database login that made the change (`session_user`), beside the declared actor
    #: `changed_by`; None for rows written before migration 0004.
    database_user: str | None = None
    #: The rollout's pair before and after (migration 0007; override rows leave them None).
    old_baseline_version: int | None = None
    new_baseline_version: int | None = None
    old_canary_version: int | None = None
    new_canary_version: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__slots__}
        data["changed_at"] = self.changed_at.isoformat()
        return data


@dataclass(frozen=True, slots=True)
class OverrideRow:
    rollout: str
    subject: str
    version: int
    created_at: datetime
    created_by: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__slots__}
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass(frozen=True, slots=True)
class Change:
    """The outcome of a change command: what it was before and after."""

    rollout: RolloutRow
    before: float | str | None
    after: float | str | None
    changed: bool


_ROLLOUT_SELECT = """
SELECT r.name, r.rate, r.strategy, r.salt, r.updated_at, r.updated_by, r.reason,
       (SELECT count(*) FROM canary.overrides o WHERE o.rollout = r.name)::int AS overrides,
       r.baseline_version, r.canary_version
FROM canary.rollouts r
"""


def check_reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise InputError("a reason is required (--reason TEXT): the history records why")
    if len(text) > MAX_REASON_LENGTH:
        raise InputError(f"the reason is longer than {MAX_REASON_LENGTH} characters")
    return text


def check_actor(actor: str) -> str:
    text = actor.strip()
    if not text:
        raise InputError("--by must not be blank")
    return text[:200]


def _check_name(name: str) -> str:
    try:
        return check_rollout_name(name)
    except ConfigError as exc:
        raise InputError(str(exc)) from None


async def list_rollouts(conn: psycopg.AsyncConnection[Any]) -> list[RolloutRow]:
    async with conn.cursor(row_factory=class_row(RolloutRow)) as cur:
        await cur.execute(_ROLLOUT_SELECT + " ORDER BY r.name")
        return await cur.fetchall()


async def get_rollout(
    conn: psycopg.AsyncConnection[Any], name: str, *, for_update: bool = False
) -> RolloutRow:
    async with conn.cursor(row_factory=class_row(RolloutRow)) as cur:
        lock = " FOR UPDATE OF r" if for_update else ""
        await cur.execute(_ROLLOUT_SELECT + " WHERE r.name = %s" + lock, (name,))
        row = await cur.fetchone()
    if row is None:
        known = ", ".join(r.name for r in await list_rollouts(conn)) or "none"
        raise InputError(f"unknown rollout {name!r} (known: {known})")
    return row


async def _begin_change(conn: psycopg.AsyncConnection[Any], *, actor: str, reason: str) -> None:
    await conn.execute(
        "SELECT set_config('canary.actor', %s, true), set_config('canary.reason', %s, true)",
        (check_actor(actor), check_reason(reason)),
    )


def checked_versions(versions: tuple[int, int]) -> tuple[int, int]:
    """A (baseline, canary) pair from a person, or `InputError` with one line."""
    try:
        return check_pair(*versions)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def check_versions_change(current: RolloutRow, versions: tuple[int, int]) -> None:
    """Refuse a new pair while subjects are split between the current two versions.

    At rate 0 everyone is on the baseline and at 1 everyone is on the canary; in between, a new
    pair would move live subjects to versions they were never routed to. Migration 0007's
    trigger holds plain SQL to the same rule; this says it in one line first.
    """
    if versions != current.versions and 0.0 < current.rate < 1.0:
        raise InputError(
            f"rollout {current.name!r} sends {format_rate(current.rate)} to"
            f" v{current.canary_version} and the rest to v{current.baseline_version}: change its"
            f" versions (to {format_pair(*versions)}) only at rate 0 or 100%"
        )


async def set_rate(
    conn: psycopg.AsyncConnection[Any],
    name: str,
    *,
    rate: float,
    actor: str,
    reason: str,
    versions: tuple[int, int] | None = None,
) -> Change:
    """Set a rollout's rate, and its (baseline, canary) pair when `versions` is given, in one
    audited change. Setting what it already has changes nothing."""
    if not 0.0 <= rate <= 1.0:
        raise InputError(f"rate {rate!r} is outside 0..1")
    if versions is not None:
        versions = checked_versions(versions)
    async with conn.transaction():
        await _begin_change(conn, actor=actor, reason=reason)
        current = await get_rollout(conn, name, for_update=True)
        pair = current.versions if versions is None else versions
        check_versions_change(current, pair)
        if current.rate == rate and current.versions == pair:
            return Change(current, current.rate, rate, changed=False)
        await conn.execute(
            "UPDATE canary.rollouts SET rate = %s, baseline_version = %s, canary_version = %s,"
            " updated_by = %s, reason = %s WHERE name = %s",
            (rate, pair[0], pair[1], check_actor(actor), check_reason(reason), name),
        )
        return Change(await get_rollout(conn, name), current.rate, rate, changed=True)


async def set_strategy(
    conn: psycopg.AsyncConnection[Any],
    name: str,
    *,
    strategy: Strategy,
    actor: str,
    reason: str,
) -> Change:
    async with conn.transaction():
        await _begin_change(conn, actor=actor, reason=reason)
        current = await get_rollout(conn, name, for_update=True)
        if current.strategy == strategy.value:
            return Change(current, current.strategy, strategy.value, changed=False)
        await conn.execute(
            "UPDATE canary.rollouts SET strategy = %s, updated_by = %s, reason = %s"
            " WHERE name = %s",
            (strategy.value, check_actor(actor), check_reason(reason), name),
        )
        return Change(await get_rollout(conn, name), current.strategy, strategy.value, changed=True)


async def reshuffle(
    conn: psycopg.AsyncConnection[Any], name: str, *, actor: str, reason: str
) -> Change:
    """Give the rollout a new random salt: every subject gets a new bucket."""
    async with conn.transaction():
        await _begin_change(conn, actor=actor, reason=reason)
        await get_rollout(conn, name, for_update=True)
        await conn.execute(
            "UPDATE canary.rollouts SET salt = replace(gen_random_uuid()::text, '-', ''),"
            " updated_by = %s, reason = %s WHERE name = %s",
            (check_actor(actor), check_reason(reason), name),
        )
        return Change(await get_rollout(conn, name), None, None, changed=True)


async def create_rollout(
    conn: psycopg.AsyncConnection[Any],
    name: str,
    *,
    rate: float,
    strategy: Strategy,
    actor: str,
    reason: str,
    versions: tuple[int, int] = (1, 2),
) -> RolloutRow:
    _check_name(name)
    if not 0.0 <= rate <= 1.0:
        raise InputError(f"rate {rate!r} is outside 0..1")
    baseline, canary = checked_versions(versions)
    async with conn.transaction():
        await _begin_change(conn, actor=actor, reason=reason)
        cur = await conn.execute(
            "INSERT INTO canary.rollouts"
            " (name, rate, strategy, updated_by, reason, baseline_version, canary_version)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO NOTHING RETURNING name",
            (
                name,
                rate,
                strategy.value,
                check_actor(actor),
                check_reason(reason),
                baseline,
                canary,
            ),
        )
        if await cur.fetchone() is None:
            raise InputError(f"rollout {name!r} already exists")
        return await get_rollout(conn, name)


async def history(
    conn: psycopg.AsyncConnection[Any], name: str, *, limit: int = 50
) -> list[HistoryRow]:
    """Newest first. The rollout may be deleted; its history is still there."""
    if limit < 1:
        raise InputError("--limit must be at least 1")
    async with conn.cursor(row_factory=class_row(HistoryRow)) as cur:
        await cur.execute(
            "SELECT id, rollout, change, changed_at, changed_by, reason, old_rate, new_rate,"
            " old_strategy, new_strategy, salt_changed, subject, old_version, new_version,"
            " database_user, old_baseline_version, new_baseline_version, old_canary_version,"
            " new_canary_version"
            " FROM canary.rollout_history WHERE rollout = %s ORDER BY id DESC LIMIT %s",
            (name, limit),
        )
        rows = await cur.fetchall()
    if not rows:
        await get_rollout(conn, name)  # unknown rollout -> InputError naming the known ones
    return rows


async def list_overrides(
    conn: psycopg.AsyncConnection[Any], name: str | None = None
) -> list[OverrideRow]:
    if name is not None:
        await get_rollout(conn, name)
    async with conn.cursor(row_factory=class_row(OverrideRow)) as cur:
        await cur.execute(
            "SELECT rollout, subject, version, created_at, created_by, reason"
            " FROM canary.overrides WHERE %s::text IS NULL OR rollout = %s"
            " ORDER BY rollout, subject",
            (name, name),
        )
        return await cur.fetchall()


def _check_subject(subject: str) -> str:
    text = subject.strip()
    if not text or len(text) > 500:
        raise InputError("a subject key must have 1 to 500 characters")
    return text


async def add_override(
    conn: psycopg.AsyncConnection[Any],
    name: str,
    subject: str,
    *,
    version: Version | int,
    actor: str,
    reason: str,
) -> Change:
    """Force `subject` onto `version` under this rollout (replacing an earlier override)."""
    try:
        forced = parse_version(version)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    subject = _check_subject(subject)
    async with conn.transaction():
        await _begin_change(conn, actor=actor, reason=reason)
        rollout = await get_rollout(conn, name, for_update=True)
        cur = await conn.execute(
            "SELECT version FROM canary.overrides WHERE rollout = %s AND subject = %s",
            (name, subject),
        )
        existing = await cur.fetchone()
        if existing is not None and existing[0] == forced:
            return Change(rollout, forced, forced, changed=False)
        await conn.execute(
            "INSERT INTO canary.overrides (rollout, subject, version, created_by, reason)"
            " VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (rollout, subject) DO UPDATE"
            " SET version = EXCLUDED.version, created_by = EXCLUDED.created_by,"
            " reason = EXCLUDED.reason",
            (name, subject, forced, check_actor(actor), check_reason(reason)),
        )
        before = None if existing is None else existing[0]
        return Change(await get_rollout(conn, name), before, forced, changed=True)


async def remove_override(
    conn: psycopg.AsyncConnection[Any], name: str, subject: str, *, actor: str, reason: str
) -> Change:
    subject = _check_subject(subject)
    async with conn.transaction():
        await _begin_change(conn, actor=actor, reason=reason)
        await get_rollout(conn, name, for_update=True)
        cur = await conn.execute(
            "DELETE FROM canary.overrides WHERE rollout = %s AND subject = %s RETURNING version",
            (name, subject),
        )
        removed = await cur.fetchone()
        if removed is None:
            raise InputError(f"subject {subject!r} has no override in rollout {name!r}")
        return Change(await get_rollout(conn, name), removed[0], None, changed=True)


async def load_configs(conn: psycopg.AsyncConnection[Any]) -> dict[str, RolloutConfig]:
    """Every rollout with its overrides, in one round trip and one consistent snapshot."""
    cur = await conn.execute(
        "SELECT r.name, r.rate, r.strategy, r.salt,"
        " coalesce((SELECT json_object_agg(o.subject, o.version) FROM canary.overrides o"
        "           WHERE o.rollout = r.name), '{}'::json),"
        " r.baseline_version, r.canary_version"
        " FROM canary.rollouts r"
    )
    configs: dict[str, RolloutConfig] = {}
    for name, rate, strategy, salt, overrides, baseline, canary in await cur.fetchall():
        configs[name] = RolloutConfig(
            name=name,
            rate=float(rate),
            strategy=Strategy(strategy),
            salt=salt,
            overrides={str(k): parse_version(v) for k, v in overrides.items()},
            baseline_version=baseline,
            canary_version=canary,
        )
    return configs
