"""Context built-ins: get value, get entries, context put, context merge (and the older
names put and put all)."""

from typing import Any

from zeebe_devengine.feel.builtins.registry import builtin, context, items, spread, string


@builtin("get value", "context", "key")
def _get_value(entries: Any, key: Any) -> Any:
    if isinstance(key, list):
        return _get_path(entries, key)
    return context(entries).get(string(key))


def _get_path(entries: Any, keys: list[Any]) -> Any:
    value: Any = context(entries)
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(string(key))
    return value


builtin("get value", "context", "keys")(_get_path)


@builtin("get entries", "context")
def _get_entries(entries: Any) -> list[dict[str, Any]]:
    return [{"key": key, "value": value} for key, value in context(entries).items()]


def _put(entries: Any, key: Any, value: Any) -> dict[str, Any]:
    if isinstance(key, list):
        return _put_path(entries, key, value)
    return {**context(entries), string(key): value}


def _put_path(entries: Any, keys: Any, value: Any) -> dict[str, Any]:
    path = [string(key) for key in items(keys)]
    if not path:
        return context(entries)
    head = path[0]
    inner = context(entries).get(head)
    if len(path) > 1:
        value = _put_path(inner if isinstance(inner, dict) else {}, path[1:], value)
    return {**entries, head: value}


builtin("context put", "context", "key", "value")(_put)
builtin("context put", "context", "keys", "value")(_put_path)
builtin("put", "context", "key", "value")(_put)


def _merge(contexts: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for entries in spread(items(contexts)):
        merged.update(context(entries))
    return merged


builtin("context merge", "contexts")(_merge)
builtin("put all", "contexts", variadic=True)(_merge)
