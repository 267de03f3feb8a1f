"""Process definitions: search, get, the BPMN XML and element-instance statistics.

Element statistics take a process-instance filter; its variable filters match if any of them
does (as Camunda's RDBMS secondary storage does), and counters of pruned instances count
where the filter selects them exactly.
"""

from typing import Any

from aiohttp import web

from zeebe_devengine.core.history import element_statistics
from zeebe_devengine.core.state import ProcessDefinition
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import (
    SEARCH_PROPERTIES,
    by_path_key,
    path_key,
    read_body,
    search_page,
)
from zeebe_devengine.rest.filters import (
    BASE_INSTANCE_FIELDS,
    DEFINITION_FIELDS,
    InstanceFilter,
    check_fields,
    field_filter,
)

routes = web.RouteTableDef()


def definition_json(definition: ProcessDefinition) -> dict[str, Any]:
    return {
        "processDefinitionKey": str(definition.key),
        "processDefinitionId": definition.bpmn_process_id,
        "name": definition.name,
        "resourceName": definition.resource_name,
        "version": definition.version,
        "versionTag": definition.version_tag,
        "tenantId": definition.tenant_id,
        "hasStartForm": False,
    }


def _definition(request: web.Request) -> ProcessDefinition:
    return by_path_key(request, engine(request).definitions, "Process definition")


@routes.post("/v2/process-definitions/search")
async def search_definitions(request: web.Request) -> web.Response:
    body = await read_body(request, SEARCH_PROPERTIES)
    spec = check_fields(body.get("filter"), set(DEFINITION_FIELDS) | {"isLatestVersion"})
    latest_only = spec.get("isLatestVersion", False)
    if not isinstance(latest_only, bool):
        msg = "The filter 'isLatestVersion' expects true or false"
        raise InvalidArgumentError(msg)
    the_engine = engine(request)
    items = [
        definition
        for definition in the_engine.definitions.values()
        if field_filter(definition, spec, DEFINITION_FIELDS, frozenset({"isLatestVersion"}))
        and (not latest_only or the_engine.latest(definition.bpmn_process_id) is definition)
    ]
    return search_page(body, items, DEFINITION_FIELDS, definition_json)


@routes.get("/v2/process-definitions/{key}")
async def get_definition(request: web.Request) -> web.Response:
    return web.json_response(definition_json(_definition(request)))


@routes.get("/v2/process-definitions/{key}/xml")
async def get_definition_xml(request: web.Request) -> web.Response:
    return web.Response(body=_definition(request).resource, content_type="text/xml")


@routes.post("/v2/process-definitions/{key}/statistics/element-instances")
async def get_element_statistics(request: web.Request) -> web.Response:
    key = path_key(request)
    body = await read_body(request, {"filter"})
    selection = InstanceFilter(body.get("filter"), BASE_INSTANCE_FIELDS, any_variable=True)
    # A statistics query over no instances, not a lookup: the 8.9 spec lists no 404 here, so
    # a key without a definition counts nothing (200, no items).
    definition = engine(request).definitions.get(key)
    counts = (
        []
        if definition is None
        else element_statistics(
            definition, matches=selection, archived=selection.archived(definition)
        )
    )
    return web.json_response(
        {
            "items": [
                {
                    "elementId": entry.element_id,
                    "active": entry.active,
                    "canceled": entry.canceled,
                    "incidents": entry.incidents,
                    "completed": entry.completed,
                }
                for entry in counts
            ]
        }
    )
