"""Element instances: search, get, and setting variables on one (or on a process instance).

The engine keeps element instances while they are active; finished ones are not retained,
so searches and gets see active element instances only.
"""

from typing import Any

from aiohttp import web

from zeebe_devengine.core.state import ElementInstance
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest import body as prop
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import (
    SEARCH_PROPERTIES,
    by_path_key,
    field_search,
    path_key,
    read_body,
)
from zeebe_devengine.rest.filters import FieldSpec
from zeebe_devengine.rest.process_instances import root_instance
from zeebe_devengine.rest.query import iso_date

routes = web.RouteTableDef()


def element_type(element: ElementInstance) -> str:
    if element.node.loop is not None and not element.inner:
        return "MULTI_INSTANCE_BODY"
    return element.node.type.value


def _scope_key(element: ElementInstance) -> int:
    return element.parent.key if element.parent is not None else element.instance.key


def _incident_key(element: ElementInstance) -> int | None:
    return element.incident.key if element.incident is not None else None


ELEMENT_FIELDS: dict[str, FieldSpec] = {
    "elementInstanceKey": ("key", lambda e: e.key),
    "processInstanceKey": ("key", lambda e: e.instance.key),
    "processDefinitionKey": ("key", lambda e: e.instance.definition.key),
    "processDefinitionId": ("string", lambda e: e.instance.definition.bpmn_process_id),
    "elementId": ("string", lambda e: e.node.id),
    "elementName": ("string", lambda e: e.node.name or e.node.id),
    "type": ("string", element_type),
    "state": ("string", lambda e: e.state.value),
    "hasIncident": ("bool", lambda e: e.incident is not None),
    "incidentKey": ("key", _incident_key),
    "tenantId": ("string", lambda e: e.instance.definition.tenant_id),
    "startDate": ("date", lambda e: e.start_ms),
    "endDate": ("date", lambda _: None),
    "elementInstanceScopeKey": ("key", _scope_key),
}


def element_json(element: ElementInstance) -> dict[str, Any]:
    instance = element.instance
    definition = instance.definition
    incident_key = _incident_key(element)
    return {
        "processDefinitionId": definition.bpmn_process_id,
        "startDate": iso_date(element.start_ms),
        "endDate": None,
        "elementId": element.node.id,
        "elementName": element.node.name or element.node.id,
        "type": element_type(element),
        "state": element.state.value,
        "hasIncident": incident_key is not None,
        "tenantId": definition.tenant_id,
        "elementInstanceKey": str(element.key),
        "processInstanceKey": str(instance.key),
        "rootProcessInstanceKey": str(root_instance(instance).key),
        "processDefinitionKey": str(definition.key),
        "incidentKey": str(incident_key) if incident_key is not None else None,
    }


@routes.post("/v2/element-instances/search")
async def search_elements(request: web.Request) -> web.Response:
    body = await read_body(request, SEARCH_PROPERTIES)
    elements = engine(request).element_instances.values()
    return field_search(body, elements, ELEMENT_FIELDS, element_json)


@routes.get("/v2/element-instances/{key}")
async def get_element(request: web.Request) -> web.Response:
    elements = engine(request).element_instances
    return web.json_response(element_json(by_path_key(request, elements, "Element instance")))


@routes.put("/v2/element-instances/{key}/variables")
async def set_variables(request: web.Request) -> web.Response:
    """Variables on an element instance's scope (or a process instance's, by its key)."""
    key = path_key(request)
    body = await read_body(request, {"variables", "local", "operationReference"})
    if not isinstance(body.get("variables"), dict):
        msg = "The property 'variables' (a JSON object) is required"
        raise InvalidArgumentError(msg)
    prop.integer(body, "operationReference", default=0, minimum=1)
    local = prop.boolean(body, "local")
    engine(request).set_variables(key, prop.document(body), local=local)
    return web.Response(status=204)
