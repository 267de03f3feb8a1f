"""Who an operator's change is recorded as."""

from collections.abc import Mapping


def default_actor(environ: Mapping[str, str], *, login: str, hostname: str) -> str:
    """Who a change is recorded as when `--by` is not given: CANARY_ACTOR, else user@host."""
    explicit = environ.get("CANARY_ACTOR", "").strip()
    if explicit:
        return explicit
    user = environ.get("USER") or environ.get("LOGNAME") or login
    return f"{user}@{hostname}"
