"""Variables: search and get.

The dev engine keeps the variables of live scopes: each instance's root scope (also after it
ended, while the instance is retained) and the local scopes of its active elements. Variables
have no keys of their own in the engine; the first search that shows one gives it a key
(from the engine's key generator) that stays its key, so ``GET /v2/variables/{key}`` finds it.
Values are the compact JSON text Camunda stores; none is truncated (``isTruncated`` false).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.state import ProcessInstance, Scope
from zeebe_devengine.core.variables import to_json_text
from zeebe_devengine.errors import NotFoundError
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import SEARCH_PROPERTIES, path_key, read_body, search_page
from zeebe_devengine.rest.filters import FieldSpec, check_fields, field_filter

routes = web.RouteTableDef()


class VariableKeys:
    """(scope key, name) -> the variable's key, given on first sight; and back."""

    def __init__(self) -> None:
        self.by_variable: dict[tuple[int, str], int] = {}
        self.by_key: dict[int, tuple[int, str]] = {}

    def key(self, engine: Engine, scope: int, name: str) -> int:
        found = self.by_variable.get((scope, name))
        if found is None:
            found = engine.keys.next()
            self.by_variable[(scope, name)] = found
            self.by_key[found] = (scope, name)
        return found


VARIABLE_KEYS = web.AppKey("variable_keys", VariableKeys)


@dataclass(frozen=True, slots=True)
class _Found:
    key: int
    name: str
    value: Any
    scope_key: int
    instance: ProcessInstance


VARIABLE_FIELDS: dict[str, FieldSpec] = {
    "variableKey": ("key", lambda v: v.key),
    "name": ("string", lambda v: v.name),
    "value": ("string", lambda v: to_json_text(v.value)),
    "scopeKey": ("key", lambda v: v.scope_key),
    "processInstanceKey": ("key", lambda v: v.instance.key),
    "tenantId": ("string", lambda v: v.instance.definition.tenant_id),
    "isTruncated": ("bool", lambda _: False),
}


def _scopes(instance: ProcessInstance) -> Iterator[Scope]:
    yield instance.root
    for element in instance.active.values():
        if element.scope is not None:
            yield element.scope


def _variables(request: web.Request) -> Iterator[_Found]:
    keys = request.app[VARIABLE_KEYS]
    dev_engine = engine(request)
    for instance in dev_engine.instances.values():
        for scope in _scopes(instance):
            for name, value in scope.variables.items():
                key = keys.key(dev_engine, scope.key, name)
                yield _Found(key, name, value, scope.key, instance)


def variable_json(found: _Found) -> dict[str, Any]:
    return {
        "variableKey": str(found.key),
        "name": found.name,
        "value": to_json_text(found.value),
        "isTruncated": False,
        "scopeKey": str(found.scope_key),
        "processInstanceKey": str(found.instance.key),
        "rootProcessInstanceKey": str(found.instance.key),
        "tenantId": found.instance.definition.tenant_id,
    }


@routes.post("/v2/variables/search")
async def search_variables(request: web.Request) -> web.Response:
    body = await read_body(request, SEARCH_PROPERTIES)
    spec = check_fields(body.get("filter"), set(VARIABLE_FIELDS))
    items = [found for found in _variables(request) if field_filter(found, spec, VARIABLE_FIELDS)]
    return search_page(body, items, VARIABLE_FIELDS, variable_json)


@routes.get("/v2/variables/{key}")
async def get_variable(request: web.Request) -> web.Response:
    key = path_key(request)
    for found in _variables(request):
        if found.key == key:
            return web.json_response(variable_json(found))
    msg = f"Variable with key '{key}' not found"
    raise NotFoundError(msg)
