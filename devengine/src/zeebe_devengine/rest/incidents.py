"""Incidents: search, get and resolution."""

from typing import Any

from aiohttp import web

from zeebe_devengine.core.state import Incident
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import (
    SEARCH_PROPERTIES,
    by_path_key,
    command_key,
    field_search,
    read_body,
)
from zeebe_devengine.rest.filters import INCIDENT_FIELDS
from zeebe_devengine.rest.process_instances import root_instance
from zeebe_devengine.rest.query import iso_date

routes = web.RouteTableDef()


def incident_json(incident: Incident) -> dict[str, Any]:
    element = incident.element
    instance = element.instance
    definition = instance.definition
    return {
        "incidentKey": str(incident.key),
        "processDefinitionKey": str(definition.key),
        "processDefinitionId": definition.bpmn_process_id,
        "processInstanceKey": str(instance.key),
        "rootProcessInstanceKey": str(root_instance(instance).key),
        "elementInstanceKey": str(element.key),
        "elementId": element.node.id,
        "errorType": incident.error_type.value,
        "errorMessage": incident.message,
        "creationTime": iso_date(incident.created_ms),
        "state": incident.state.value,
        "jobKey": str(incident.job.key) if incident.job is not None else None,
        "tenantId": definition.tenant_id,
    }


@routes.post("/v2/incidents/search")
async def search_incidents(request: web.Request) -> web.Response:
    body = await read_body(request, SEARCH_PROPERTIES)
    incidents = engine(request).incidents.values()
    return field_search(body, incidents, INCIDENT_FIELDS, incident_json)


@routes.get("/v2/incidents/{key}")
async def get_incident(request: web.Request) -> web.Response:
    return web.json_response(
        incident_json(by_path_key(request, engine(request).incidents, "Incident"))
    )


@routes.post("/v2/incidents/{key}/resolution")
async def resolve_incident(request: web.Request) -> web.Response:
    engine(request).resolve_incident(await command_key(request))
    return web.Response(status=204)
