"""Opening Postgres connections, with failures turned into one readable line.

psycopg's own messages are multi-line and may echo the connection string; callers get a
`DatabaseUnavailableError` naming host, port and database, never the password.
"""

from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from workers.errors import DatabaseUnavailableError
from workers.settings import check_database_url

#: How long a command waits for Postgres before it says so (seconds).
CONNECT_TIMEOUT = 5


def describe(url: str) -> str:
    """``host:port/dbname`` of a connection URL, for messages (no user, no password)."""
    check_database_url(url)  # one line with the password masked, never psycopg's message
    parts = conninfo_to_dict(url)
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    return f"{host}:{port}/{parts.get('dbname') or parts.get('user') or ''}"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def connect(url: str, **kwargs: Any) -> psycopg.AsyncConnection[Any]:
    """An autocommit async connection, or `DatabaseUnavailableError` with a one-line reason."""
    where = describe(url)
    try:
        return await psycopg.AsyncConnection.connect(
            url,
            autocommit=True,
            connect_timeout=kwargs.pop("connect_timeout", CONNECT_TIMEOUT),
            **kwargs,
        )
    except psycopg.OperationalError as exc:
        msg = f"cannot reach Postgres at {where}: {first_line(exc)}"
        raise DatabaseUnavailableError(msg) from None
