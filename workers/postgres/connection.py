"""Opening Postgres connections, with failures turned into one readable line.

psycopg's own messages are multi-line and may echo the connection string; callers get a
`DatabaseUnavailableError` naming host, port and database, never the password.
"""

import re
from typing import Any
from urllib.parse import unquote

import psycopg
from psycopg.conninfo import conninfo_to_dict

from workers.errors import ConfigError, DatabaseUnavailableError

#: How long a command waits for Postgres before it says so (seconds).
CONNECT_TIMEOUT = 5


_URL_PASSWORD = re.compile(r"^(?P<head>[a-z]+://[^/?#@:]*:)(?P<password>[^/?#@]*)(?=@)")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<password>[^&#]*)")


def mask_database_url(url: str) -> str:
    """`url` with its password (in the user part or a ``password=`` parameter) as ``***``."""
    masked = _URL_PASSWORD.sub(r"\g<head>***", url)
    return _QUERY_PASSWORD.sub(r"\g<head>***", masked)


def check_database_url(url: str, *, name: str = "DATABASE_URL") -> None:
    """Refuse a connection URL libpq cannot use, in one line that never shows the password.

    psycopg's own messages quote the URL or its percent-encoded password; a worker started
    with such a URL used to run on with its database tasks dead (issue 16).
    """
    masked = mask_database_url(url)
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        secrets = {m.group("password") for m in (_URL_PASSWORD.search(url),) if m}
        secrets |= {m.group("password") for m in _QUERY_PASSWORD.finditer(url)}
        for secret in sorted(secrets | {unquote(x) for x in secrets}, key=len, reverse=True):
            if secret:
                reason = reason.replace(secret, "***")
        reason = reason.replace(url, masked)
        msg = f"{name} {masked} is not a valid connection string: {reason}"
        raise ConfigError(msg) from None
    for port in str(params.get("port") or "5432").split(","):
        if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            msg = f"{name} {masked}: port {port!r} is not a port number"
            raise ConfigError(msg)


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


#: Where in a COPY a row was refused: table, line and column, before the value Postgres quotes.
_COPY_CONTEXT = re.compile(
    r"^COPY (?P<table>[^,]+), line (?P<line>\d+)(?:, column (?P<column>[^:]+))?"
)


def error_without_values(exc: BaseException) -> str:
    """Which rule refused a row, without any of the row's values: they may be personal data.

    Postgres quotes values in a refused row's message (``invalid input syntax for type bigint:
    "..."``, a COPY's context, a check's "Failing row contains (...)"), and so may Python's own
    errors. Kept: the error's class and SQLSTATE and the names Postgres reports (constraint,
    table, column, type, the COPY's line), which are the schema's, not the data's.
    """
    if not isinstance(exc, psycopg.Error):
        return type(exc).__name__
    diag = exc.diag
    where = [
        f"{label} {name}"
        for label, name in (
            ("constraint", diag.constraint_name),
            ("table", diag.table_name),
            ("column", diag.column_name),
            ("type", diag.datatype_name),
        )
        if name
    ]
    copy = _COPY_CONTEXT.match(diag.context or "")
    if copy is not None:
        where.append(f"COPY {copy['table']} line {copy['line']}")
        if copy["column"] and diag.column_name is None:
            where.append(f"column {copy['column']}")
    head = f"{type(exc).__name__} (SQLSTATE {exc.sqlstate or 'unknown'})"
    return ", ".join([head, *where])


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
