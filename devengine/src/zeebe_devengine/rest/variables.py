"""Variables: search and get, over the scopes of retained process instances.

A scope is a process instance (its key) or an element instance with local variables. The
engine keys scopes, not variables, so a variable's key is handed out the first time the API
shows it and stays the same for that scope and name.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from zeebe_devengine.core.state import ProcessInstance, Scope
from zeebe_devengine.core.variables import to_json_text
from zeebe_devengine.errors import NotFoundError
from zeebe_devengine.rest.context import RestContext, context
from zeebe_devengine.rest.exchange import SEARCH_PROPERTIES, field_search, path_key, read_body
from zeebe_devengine.rest.filters import FieldSpec
from zeebe_devengine.rest.process_instances import root_instance

routes = web.RouteTableDef()


@dataclass(frozen=True, slots=True)
class _Variable:
    key: int
    name: str
    value: str
    scope_key: int
    instance: ProcessInstance


VARIABLE_FIELDS: dict[str, FieldSpec] = {
    "variableKey": ("key", lambda v: v.key),
    "name": ("string", lambda v: v.name),
    "value": ("string", lambda v: v.value),
    "scopeKey": ("key", lambda v: v.scope_key),
    "processInstanceKey": ("key", lambda v: v.instance.key),
    "tenantId": ("string", lambda v: v.instance.definition.tenant_id),
    "isTruncated": ("bool", lambda _: False),
}


def _variable_key(served: RestContext, scope_key: int, name: str) -> int:
    identity = (scope_key, name)
    key = served.variable_keys.get(identity)
    if key is None:
        key = served.engine.keys.next()
        served.variable_keys[identity] = key
        served.variables_by_key[key] = identity
    return key


def _scopes(instance: ProcessInstance) -> Iterator[Scope]:
    yield instance.root
    for element in instance.active.values():
        if element.scope is not None:
            yield element.scope


def _variables(served: RestContext) -> Iterator[_Variable]:
    for instance in served.engine.instances.values():
        for scope in _scopes(instance):
            scope_key = scope.key
            for name, value in scope.variables.items():
                key = _variable_key(served, scope_key, name)
                yield _Variable(key, name, to_json_text(value), scope_key, instance)


def variable_json(variable: _Variable, *, truncatable: bool = True) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "value": variable.value,
        "name": variable.name,
        "tenantId": variable.instance.definition.tenant_id,
        "variableKey": str(variable.key),
        "scopeKey": str(variable.scope_key),
        "processInstanceKey": str(variable.instance.key),
        "rootProcessInstanceKey": str(root_instance(variable.instance).key),
    }
    if truncatable:
        shaped["isTruncated"] = False
    return shaped


@routes.post("/v2/variables/search")
async def search_variables(request: web.Request) -> web.Response:
    body = await read_body(request, SEARCH_PROPERTIES)
    return field_search(body, _variables(context(request)), VARIABLE_FIELDS, variable_json)


@routes.get("/v2/variables/{key}")
async def get_variable(request: web.Request) -> web.Response:
    key = path_key(request)
    served = context(request)
    identity = served.variables_by_key.get(key)
    if identity is not None:
        for variable in _variables(served):
            if variable.key == key:
                return web.json_response(variable_json(variable, truncatable=False))
    msg = f"Variable with key '{key}' not found"
    raise NotFoundError(msg)
