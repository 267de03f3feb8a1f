"""Typed properties of a request body: a wrong type or a missing required one is a 400."""

from typing import Any

from zeebe_devengine.core.state import DEFAULT_TENANT
from zeebe_devengine.errors import InvalidArgumentError

_MAX_KEY_DIGITS = 19


def _wrong(name: str, expected: str, value: Any) -> InvalidArgumentError:
    return InvalidArgumentError(f"The property '{name}' expects {expected}, but got {value!r}")


def text(body: dict[str, Any], name: str, *, required: bool = False, default: str = "") -> str:
    value = body.get(name)
    if value is None:
        if required:
            msg = f"The property '{name}' is required"
            raise InvalidArgumentError(msg)
        return default
    if not isinstance(value, str):
        raise _wrong(name, "a string", value)
    if required and not value.strip():
        msg = f"The property '{name}' must not be blank"
        raise InvalidArgumentError(msg)
    return value


def integer(body: dict[str, Any], name: str, *, default: int, minimum: int | None = None) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(name, "an integer", value)
    if minimum is not None and value < minimum:
        raise _wrong(name, f"an integer of at least {minimum}", value)
    return value


def boolean(body: dict[str, Any], name: str, *, default: bool = False) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _wrong(name, "true or false", value)
    return value


def key(body: dict[str, Any], name: str) -> int | None:
    """A key: a string of digits (as the API writes them) or, leniently, an integer."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= _MAX_KEY_DIGITS:
        return int(value)
    raise _wrong(name, "a key (a string of digits)", value)


def document(body: dict[str, Any], name: str = "variables") -> dict[str, Any]:
    """A variables object (absent or null: none)."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(name, "a JSON object", value)
    return value


def strings(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _wrong(name, "a list of strings", value)
    return value


def obj(body: dict[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    """A nested object whose properties are all known (absent or null: empty)."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(name, "a JSON object", value)
    unknown = set(value) - allowed
    if unknown:
        msg = f"'{name}' does not support {', '.join(sorted(unknown))}"
        raise InvalidArgumentError(msg)
    return value


def tenant(body: dict[str, Any]) -> str:
    """The tenant: the dev engine has only the default one (multi-tenancy is disabled)."""
    tenant_id = text(body, "tenantId", default=DEFAULT_TENANT)
    if tenant_id not in {"", DEFAULT_TENANT}:
        msg = f"The tenant '{tenant_id}' does not exist: multi-tenancy is disabled"
        raise InvalidArgumentError(msg)
    return DEFAULT_TENANT
