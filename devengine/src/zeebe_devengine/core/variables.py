"""Variable documents and scopes, with Zeebe's rules for where a variable lands.

- `set_local`: into exactly that scope (input mappings, ``SetVariables(local=true)``).
- `propagate`: each variable is written to the nearest scope, from the given one upwards,
  that already has it, else to the root (job completion without output mappings,
  ``SetVariables(local=false)``, results of output mappings from the flow scope).
- `visible`: what an expression or a job sees: the root's variables overlaid by each inner
  scope's.
"""

import json
import math
from collections.abc import Iterable
from typing import Any

from zeebe_devengine.core.state import Scope
from zeebe_devengine.errors import MalformedRequestError


def _reject_constant(name: str) -> float:
    msg = f"'{name}' is not valid JSON"
    raise ValueError(msg)


def parse_document(text: str | bytes, *, what: str = "variables") -> dict[str, Any]:
    """A JSON object from a request; empty means {}. Raises InvalidArgumentError otherwise."""
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError:
            msg = f"Property '{what}' is invalid: not UTF-8"
            raise MalformedRequestError(msg) from None
    if not text.strip():
        return {}
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        msg = f"Property '{what}' is invalid: expected a JSON document ({first_line(exc)})"
        raise MalformedRequestError(msg) from None
    if not isinstance(document, dict):
        msg = (
            f"Property '{what}' is invalid: "
            f"Expected document to be a root level object, but was '{msgpack_type(document)}'"
        )
        raise MalformedRequestError(msg)
    return document


def msgpack_type(value: Any) -> str:
    """The MessagePack type Zeebe names when a document is not an object (``MsgPackType``).

    Zeebe converts the JSON to MessagePack and names the type of the first value: ``null``
    is 'NIL', ``[]`` 'ARRAY', ``1`` 'INTEGER', ``1.5`` 'FLOAT', ``"x"`` 'STRING'.
    """
    if value is None:
        return "NIL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INTEGER"
    if isinstance(value, float):
        return "FLOAT"
    if isinstance(value, str):
        return "STRING"
    return "ARRAY"


def first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def to_json_text(value: Any) -> str:
    """Compact JSON, as Camunda stores variable values (REST filters compare this text)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def is_json_safe(value: Any) -> bool:
    """False for values JSON cannot carry (NaN, infinities)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(is_json_safe(item) for item in value)
    if isinstance(value, dict):
        return all(is_json_safe(item) for item in value.values())
    return True


def set_local(scope: Scope, variables: dict[str, Any]) -> None:
    scope.variables.update(variables)


def propagate(scope: Scope, variables: dict[str, Any]) -> None:
    for name, value in variables.items():
        target: Scope | None = scope
        root = scope
        while target is not None:
            if name in target.variables:
                break
            root = target
            target = target.parent
        (target if target is not None else root).variables[name] = value


def lookup(scope: Scope, name: str) -> tuple[bool, Any]:
    current: Scope | None = scope
    while current is not None:
        if name in current.variables:
            return True, current.variables[name]
        current = current.parent
    return False, None


def visible(scope: Scope, names: Iterable[str] = ()) -> dict[str, Any]:
    """Variables visible from `scope` (all, or only `names` that exist)."""
    chain: list[Scope] = []
    current: Scope | None = scope
    while current is not None:
        chain.append(current)
        current = current.parent
    wanted = list(names)
    if wanted:
        result: dict[str, Any] = {}
        for name in wanted:
            found, value = lookup(scope, name)
            if found:
                result[name] = value
        return result
    merged: dict[str, Any] = {}
    for current in reversed(chain):
        merged.update(current.variables)
    return merged


def with_path(existing: Any, path: tuple[str, ...], value: Any) -> Any:
    """`existing` with `value` written at `path` (``a.b.c``); copies, never mutates.

    Raises ValueError when a step of the path holds something other than a context.
    """
    if not path:
        return value
    if existing is None:
        base: dict[str, Any] = {}
    elif isinstance(existing, dict):
        base = dict(existing)
    else:
        msg = f"cannot set '{path[0]}' inside a value that is not a context"
        raise ValueError(msg)
    base[path[0]] = with_path(base.get(path[0]), path[1:], value)
    return base
