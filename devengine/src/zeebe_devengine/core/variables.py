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
from zeebe_devengine.errors import InvalidArgumentError, MalformedRequestError

#: Documents nested deeper than this are refused. Zeebe refuses beyond 1000 levels; the dev
#: engine stops at 500 because Python's recursion limit (1000 frames, shared by json, FEEL and
#: gRPC) broke a job's activation at about 975 levels, after the document was accepted.
MAX_NESTING_DEPTH = 500


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
    except RecursionError:
        raise InvalidArgumentError(_too_deep(what)) from None
    except ValueError as exc:
        msg = f"Property '{what}' is invalid: expected a JSON document ({first_line(exc)})"
        raise MalformedRequestError(msg) from None
    if not isinstance(document, dict):
        msg = (
            f"Property '{what}' is invalid: "
            f"Expected document to be a root level object, but was '{msgpack_type(document)}'"
        )
        raise MalformedRequestError(msg)
    _check_values(document, what)
    return document


def _too_deep(what: str) -> str:
    return (
        f"Property '{what}' is invalid: the document is nested deeper than "
        f"{MAX_NESTING_DEPTH} levels"
    )


def _check_values(document: dict[str, Any], what: str) -> None:
    """Refuse what could not travel on: deep nesting, lone surrogates (not valid UTF-8).

    Iterative, so that the check itself never meets the recursion limit.
    """
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value, what)
        elif isinstance(value, list | dict):
            if depth > MAX_NESTING_DEPTH:
                raise InvalidArgumentError(_too_deep(what))  # Zeebe's engine rejects it
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key, what)
                pending.append((item, depth + 1))


def _check_text(text: str, what: str) -> None:
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        msg = (
            f"Property '{what}' is invalid: the document holds a lone surrogate "
            f"(\\u{code:04x}), which is not valid Unicode"
        )
        raise MalformedRequestError(msg) from None


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
