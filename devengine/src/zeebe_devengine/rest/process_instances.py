"""Process instances: search and get.

Variable filters match the JSON text of a variable (``{"name": "useVersion", "value": "2"}``);
several variable filters must all match.
"""

from typing import Any

from aiohttp import web

from zeebe_devengine.core.state import ProcessInstance
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import SEARCH_PROPERTIES, by_path_key, read_body, search_page
from zeebe_devengine.rest.filters import INSTANCE_FIELDS, InstanceFilter
from zeebe_devengine.rest.query import iso_date

routes = web.RouteTableDef()


def instance_json(instance: ProcessInstance) -> dict[str, Any]:
    definition = instance.definition
    return {
        "processInstanceKey": str(instance.key),
        "processDefinitionId": definition.bpmn_process_id,
        "processDefinitionName": definition.name,
        "processDefinitionVersion": definition.version,
        "processDefinitionVersionTag": definition.version_tag,
        "processDefinitionKey": str(definition.key),
        "startDate": iso_date(instance.start_ms),
        "endDate": iso_date(instance.end_ms),
        "state": instance.state.value,
        "hasIncident": instance.active_incidents > 0,
        "tenantId": definition.tenant_id,
        "parentProcessInstanceKey": None,
        "parentElementInstanceKey": None,
        "rootProcessInstanceKey": str(instance.key),
        "tags": [],
        "businessId": None,
    }


@routes.post("/v2/process-instances/search")
async def search_instances(request: web.Request) -> web.Response:
    body = await read_body(request, SEARCH_PROPERTIES)
    selection = InstanceFilter(
        body.get("filter"),
        INSTANCE_FIELDS,
        any_variable=False,
        extras=frozenset({"elementId", "errorMessage"}),
    )
    items = [instance for instance in engine(request).instances.values() if selection(instance)]
    return search_page(body, items, INSTANCE_FIELDS, instance_json)


@routes.get("/v2/process-instances/{key}")
async def get_instance(request: web.Request) -> web.Response:
    instances = engine(request).instances
    return web.json_response(instance_json(by_path_key(request, instances, "Process instance")))
