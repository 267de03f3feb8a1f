"""Numbered SQL migrations: apply the ones missing, record each, refuse edited history.

`migrations/NNNN_name.sql` files run in number order, each in its own transaction, and are
recorded in ``canary.schema_migrations`` with a checksum. A session-level advisory lock makes
concurrent runs (several containers starting at once) queue up: the first applies, the others
find nothing left to do.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import structlog

from workers.errors import MigrationError
from workers.resources import shipped_folder

log = structlog.get_logger(__name__)

#: The wheel's package data, or the checkout's top-level migrations/ (see workers.resources).
MIGRATIONS_DIR = shipped_folder("migrations")
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
#: Any constant works; this one is "canary" in ASCII, so it is recognisable in pg_locks.
_LOCK_KEY = 0x63616E617279

_BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS canary;
CREATE TABLE IF NOT EXISTS canary.schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class MigrationResult:
    applied: list[Migration]
    #: Versions recorded in the database that this code does not know (a newer release ran).
    unknown: list[int]
    current: int


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    if not directory.is_dir():
        msg = f"migrations directory {directory} does not exist"
        raise MigrationError(msg)
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            msg = f"migration file {path.name} is not named NNNN_name.sql"
            raise MigrationError(msg)
        version = int(match.group(1))
        if version in found:
            msg = f"two migrations share number {version:04d}"
            raise MigrationError(msg)
        found[version] = Migration(version, match.group(2), path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def migrate(
    conn: psycopg.AsyncConnection[Any], migrations: list[Migration] | None = None
) -> MigrationResult:
    """Apply what is missing on an autocommit connection. Safe to run concurrently."""
    todo = load_migrations() if migrations is None else migrations
    await conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        await conn.execute(_BOOTSTRAP)
        cursor = await conn.execute("SELECT version, checksum FROM canary.schema_migrations")
        recorded: dict[int, str] = {row[0]: row[1] for row in await cursor.fetchall()}
        applied: list[Migration] = []
        for migration in todo:
            if migration.version in recorded:
                if recorded[migration.version] != migration.checksum:
                    msg = (
                        f"migration {migration.version:04d}_{migration.name}.sql was edited after"
                        " it was applied; add a new migration instead"
                    )
                    raise MigrationError(msg)
                continue
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql.encode())
                    await conn.execute(
                        "INSERT INTO canary.schema_migrations (version, name, checksum)"
                        " VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
            except psycopg.Error as exc:
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                msg = f"migration {migration.version:04d}_{migration.name}.sql failed: {detail}"
                raise MigrationError(msg) from exc
            log.info("migration applied", version=migration.version, migration=migration.name)
            applied.append(migration)
        known = {m.version for m in todo}
        unknown = sorted(v for v in recorded if v not in known)
        if unknown:
            log.warning("database has migrations this release does not know", versions=unknown)
        current = max([*recorded, *(m.version for m in applied)], default=0)
        return MigrationResult(applied=applied, unknown=unknown, current=current)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
