"""Process instances: create (optionally awaiting completion), cancel, search, get and the
call hierarchy.

Variable filters match the JSON text of a variable (``{"name": "useVersion", "value": "2"}``);
several variable filters must all match.
"""

import asyncio
from typing import Any

from aiohttp import web

from zeebe_devengine.core.state import ProcessInstance
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest import body as prop
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import (
    SEARCH_PROPERTIES,
    by_path_key,
    command_key,
    read_body,
    search_page,
)
from zeebe_devengine.rest.filters import INSTANCE_FIELDS, InstanceFilter
from zeebe_devengine.rest.query import iso_date

routes = web.RouteTableDef()

#: awaitCompletion's wait when the request says 0 or nothing (Zeebe's gateway default).
DEFAULT_REQUEST_TIMEOUT_MS = 15_000
#: Upper bound for a client-supplied wait (absurd values must not overflow the loop's clock).
MAX_WAIT_MS = 24 * 3_600_000
_CREATE_PROPERTIES = frozenset(
    {
        "processDefinitionKey",
        "processDefinitionId",
        "processDefinitionVersion",
        "variables",
        "tenantId",
        "operationReference",
        "startInstructions",
        "runtimeInstructions",
        "awaitCompletion",
        "fetchVariables",
        "requestTimeout",
        "tags",
        "businessId",
    }
)


def _parent_instance(instance: ProcessInstance) -> ProcessInstance | None:
    parent = instance.parent_element
    return parent.instance if parent is not None else None


def root_instance(instance: ProcessInstance) -> ProcessInstance:
    while (parent := _parent_instance(instance)) is not None:
        instance = parent
    return instance


def instance_json(instance: ProcessInstance) -> dict[str, Any]:
    definition = instance.definition
    parent = instance.parent_element
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
        "parentProcessInstanceKey": str(parent.instance.key) if parent is not None else None,
        "parentElementInstanceKey": str(parent.key) if parent is not None else None,
        "rootProcessInstanceKey": str(root_instance(instance).key),
        "tags": [],
        "businessId": None,
    }


def _start_elements(body: dict[str, Any]) -> list[str]:
    instructions = body.get("startInstructions")
    if instructions is None:
        return []
    if not isinstance(instructions, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("elementId"), str) and len(entry) == 1
        for entry in instructions
    ):
        msg = "The property 'startInstructions' expects a list of {\"elementId\": <id>}"
        raise InvalidArgumentError(msg)
    return [entry["elementId"] for entry in instructions]


def _refuse_unsupported(body: dict[str, Any]) -> None:
    if body.get("runtimeInstructions"):
        msg = "The property 'runtimeInstructions' is not supported by the dev engine"
        raise InvalidArgumentError(msg)
    if prop.strings(body, "tags"):
        msg = "The property 'tags' is not supported by the dev engine"
        raise InvalidArgumentError(msg)
    if prop.text(body, "businessId"):
        msg = "The property 'businessId' is not supported by the dev engine"
        raise InvalidArgumentError(msg)


@routes.post("/v2/process-instances")
async def create_instance(request: web.Request) -> web.Response:
    body = await read_body(request, _CREATE_PROPERTIES)
    prop.tenant(body)
    prop.integer(body, "operationReference", default=0, minimum=1)
    _refuse_unsupported(body)
    definition_key = prop.key(body, "processDefinitionKey")
    process_id = prop.text(body, "processDefinitionId")
    if definition_key is None and not process_id:
        msg = "Expected either a 'processDefinitionKey' or a 'processDefinitionId'"
        raise InvalidArgumentError(msg)
    variables = prop.document(body)
    start_elements = _start_elements(body)
    version = prop.integer(body, "processDefinitionVersion", default=-1)
    await_completion = prop.boolean(body, "awaitCompletion")
    fetch = prop.strings(body, "fetchVariables")
    timeout_ms = prop.integer(body, "requestTimeout", default=0, minimum=0)
    done: asyncio.Future[ProcessInstance] = asyncio.get_running_loop().create_future()

    def completed(instance: ProcessInstance) -> None:
        if not done.done():
            done.set_result(instance)

    the_engine = engine(request)
    instance = the_engine.create_instance(
        definition_key=definition_key or 0,
        bpmn_process_id=process_id,
        version=version,
        variables=variables,
        start_element_ids=start_elements,
        on_completed=completed if await_completion else None,
    )
    result: dict[str, Any] = {}
    if await_completion:
        wait_ms = min(timeout_ms or DEFAULT_REQUEST_TIMEOUT_MS, MAX_WAIT_MS)
        try:
            await asyncio.wait_for(asyncio.shield(done), timeout=wait_ms / 1000)
        except TimeoutError:
            reason = (
                f"Expected to complete process instance '{instance.key}' within {wait_ms} ms, "
                "but it did not complete in time"
            )
            raise web.HTTPGatewayTimeout(reason=reason) from None
        result = the_engine.result_variables(instance, fetch)
    definition = instance.definition
    return web.json_response(
        {
            "processDefinitionId": definition.bpmn_process_id,
            "processDefinitionVersion": definition.version,
            "tenantId": definition.tenant_id,
            "variables": result,
            "processDefinitionKey": str(definition.key),
            "processInstanceKey": str(instance.key),
            "tags": [],
            "businessId": None,
        }
    )


@routes.post("/v2/process-instances/{key}/cancellation")
async def cancel_instance(request: web.Request) -> web.Response:
    engine(request).cancel_instance(await command_key(request))
    return web.Response(status=204)


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


@routes.get("/v2/process-instances/{key}/call-hierarchy")
async def call_hierarchy(request: web.Request) -> web.Response:
    """The instance's ancestors, root first, the instance itself last (as Camunda lists them)."""
    instance = by_path_key(request, engine(request).instances, "Process instance")
    chain = [instance]
    while (parent := _parent_instance(chain[-1])) is not None:
        chain.append(parent)
    return web.json_response(
        [
            {
                "processInstanceKey": str(entry.key),
                "processDefinitionKey": str(entry.definition.key),
                "processDefinitionName": entry.definition.name or entry.definition.bpmn_process_id,
            }
            for entry in reversed(chain)
        ]
    )
