"""Deployments and resources: ``POST /v2/deployments`` (multipart ``resources`` files, BPMN
and DMN) and ``POST /v2/resources/{key}/deletion`` (a process definition or a decision
requirements graph; running instances drain, as in Camunda 8.9).

History deletion (``deleteHistory``) has nothing to delete beyond the runtime state here, so
the answer never carries a batch operation.
"""

from typing import Any

from aiohttp import BodyPartReader, web

from zeebe_devengine.core.engine import Deployment
from zeebe_devengine.core.state import DEFAULT_TENANT
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest import body as prop
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import path_key, read_body

routes = web.RouteTableDef()


async def _parts(request: web.Request) -> tuple[list[tuple[str, bytes]], str]:
    if not request.content_type.startswith("multipart/"):
        msg = "Expected a multipart/form-data request with one or more 'resources' files"
        raise InvalidArgumentError(msg)
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, KeyError) as exc:
        msg = f"The multipart request cannot be read: {exc}"
        raise InvalidArgumentError(msg) from None
    resources: list[tuple[str, bytes]] = []
    tenant_id = DEFAULT_TENANT
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            msg = "Nested multipart bodies are not supported"
            raise InvalidArgumentError(msg)
        content = await part.read()
        if part.name == "resources":
            resources.append((part.filename or "resource.bpmn", bytes(content)))
        elif part.name == "tenantId":
            tenant_id = prop.tenant({"tenantId": bytes(content).decode("utf-8", "replace")})
        else:
            msg = f"The multipart field '{part.name}' is not supported (expected 'resources')"
            raise InvalidArgumentError(msg)
    return resources, tenant_id


_DEPLOYED_KINDS = (
    "processDefinition",
    "decisionDefinition",
    "decisionRequirements",
    "form",
    "resource",
)


def deployment_json(deployment: Deployment, tenant_id: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [
        {
            "processDefinition": {
                "processDefinitionId": definition.bpmn_process_id,
                "processDefinitionVersion": definition.version,
                "resourceName": definition.resource_name,
                "tenantId": definition.tenant_id,
                "processDefinitionKey": str(definition.key),
            }
        }
        for definition in deployment.definitions
    ]
    entries.extend(
        {
            "decisionDefinition": {
                "decisionDefinitionId": decision.id,
                "version": decision.version,
                "name": decision.name,
                "tenantId": decision.tenant_id,
                "decisionRequirementsId": decision.requirements.id,
                "decisionDefinitionKey": str(decision.key),
                "decisionRequirementsKey": str(decision.requirements.key),
            }
        }
        for decision in deployment.decisions
    )
    entries.extend(
        {
            "decisionRequirements": {
                "decisionRequirementsId": graph.id,
                "decisionRequirementsName": graph.name,
                "version": graph.version,
                "resourceName": graph.resource_name,
                "tenantId": graph.tenant_id,
                "decisionRequirementsKey": str(graph.key),
            }
        }
        for graph in deployment.requirements
    )
    return {
        "deploymentKey": str(deployment.key),
        "tenantId": tenant_id,
        # The 8.9 schema requires every kind in every entry, null where it is another kind.
        "deployments": [{kind: entry.get(kind) for kind in _DEPLOYED_KINDS} for entry in entries],
    }


@routes.post("/v2/deployments")
async def create_deployment(request: web.Request) -> web.Response:
    resources, tenant_id = await _parts(request)
    deployment = engine(request).deploy(resources)
    return web.json_response(deployment_json(deployment, tenant_id))


@routes.post("/v2/resources/{key}/deletion")
async def delete_resource(request: web.Request) -> web.Response:
    key = path_key(request)
    body = await read_body(request, {"operationReference", "deleteHistory"})
    prop.integer(body, "operationReference", default=0, minimum=1)
    prop.boolean(body, "deleteHistory")
    engine(request).delete_resource(key)
    return web.json_response({"resourceKey": str(key), "batchOperation": None})
