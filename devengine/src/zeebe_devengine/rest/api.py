"""The read side of Camunda's REST API v2 that Operate's views come from, over aiohttp.

Endpoints (JSON shapes as in Camunda's OpenAPI spec; keys are strings):

- ``GET  /v2/topology``
- ``POST /v2/process-definitions/search``
- ``GET  /v2/process-definitions/{key}`` and ``.../{key}/xml``
- ``POST /v2/process-definitions/{key}/statistics/element-instances``
- ``POST /v2/process-instances/search`` and ``GET /v2/process-instances/{key}``
- ``POST /v2/incidents/search`` and ``GET /v2/incidents/{key}``
- ``PUT /v2/clock`` (``{"timestamp": <epoch ms>}``) and ``POST /v2/clock/reset``: Camunda's
  clock API, pinning the engine clock for timer tests (both answer 204)
- ``POST /v2/user-tasks/search``, ``GET /v2/user-tasks/{key}`` and
  ``POST /v2/user-tasks/{key}/completion`` (Tasklist's calls; `rest.user_tasks`)
- ``POST /v2/variables/search`` and ``GET /v2/variables/{key}`` (`rest.variables`)

Errors are ``application/problem+json`` (``type``, ``title``, ``status``, ``detail``,
``instance``). Filters the engine does not support are refused with 400 naming the field.
Variable filters match the JSON text of a variable (``{"name": "useVersion", "value": "2"}``);
in searches several variable filters must all match, in element statistics any of them (as
Camunda's RDBMS secondary storage does).
"""

import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web

from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.history import element_statistics
from zeebe_devengine.core.state import (
    Incident,
    ProcessDefinition,
    ProcessInstance,
)
from zeebe_devengine.errors import DevEngineError, InvalidArgumentError, NotFoundError
from zeebe_devengine.rest import user_tasks, variables
from zeebe_devengine.rest.context import CONTEXT, RestContext
from zeebe_devengine.rest.filters import (
    BASE_INSTANCE_FIELDS,
    DEFINITION_FIELDS,
    INCIDENT_FIELDS,
    INSTANCE_FIELDS,
    FieldSpec,
    InstanceFilter,
    check_fields,
    field_filter,
    sort_fields,
)
from zeebe_devengine.rest.query import iso_date, paginate, parse_page, sort_items
from zeebe_devengine.version import GATEWAY_VERSION

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The first path segment of every resource in Camunda 8.9's Orchestration Cluster API, so a
# request for one the dev engine lacks is told so rather than answered "no such path".
_SPEC_RESOURCES = frozenset(
    {
        "audit-logs",
        "authentication",
        "authorizations",
        "batch-operation-items",
        "batch-operations",
        "clock",
        "cluster-variables",
        "conditionals",
        "correlated-message-subscriptions",
        "decision-definitions",
        "decision-instances",
        "decision-requirements",
        "deployments",
        "documents",
        "element-instances",
        "expression",
        "groups",
        "incidents",
        "jobs",
        "license",
        "mapping-rules",
        "message-subscriptions",
        "messages",
        "process-definitions",
        "process-instances",
        "resources",
        "roles",
        "setup",
        "signals",
        "status",
        "system",
        "tenants",
        "topology",
        "user-tasks",
        "users",
        "variables",
    }
)
_log = logging.getLogger(__name__)


# -- JSON shapes ----------------------------------------------------------------------------


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


def incident_json(incident: Incident) -> dict[str, Any]:
    element = incident.element
    instance = element.instance
    definition = instance.definition
    return {
        "incidentKey": str(incident.key),
        "processDefinitionKey": str(definition.key),
        "processDefinitionId": definition.bpmn_process_id,
        "processInstanceKey": str(instance.key),
        "rootProcessInstanceKey": str(instance.key),
        "elementInstanceKey": str(element.key),
        "elementId": element.node.id,
        "errorType": incident.error_type.value,
        "errorMessage": incident.message,
        "creationTime": iso_date(incident.created_ms),
        "state": incident.state.value,
        "jobKey": str(incident.job.key) if incident.job is not None else None,
        "tenantId": definition.tenant_id,
    }


# -- the application --------------------------------------------------------------------------


class RestApi:
    def __init__(self, engine: Engine, *, grpc_host: str, grpc_port: int) -> None:
        self._engine = engine
        self._grpc_host = grpc_host
        self._grpc_port = grpc_port

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._problems])
        # The resources written one module each (the layout the other resources move to).
        app[CONTEXT] = RestContext(self._engine, self._grpc_host, self._grpc_port)
        app[variables.VARIABLE_KEYS] = variables.VariableKeys()
        app.add_routes(user_tasks.routes)
        app.add_routes(variables.routes)
        app.add_routes(
            [
                web.get("/v2/topology", self.topology),
                web.post("/v2/process-definitions/search", self.search_definitions),
                web.get("/v2/process-definitions/{key}", self.get_definition),
                web.get("/v2/process-definitions/{key}/xml", self.get_definition_xml),
                web.post(
                    "/v2/process-definitions/{key}/statistics/element-instances",
                    self.element_statistics,
                ),
                web.post("/v2/process-instances/search", self.search_instances),
                web.get("/v2/process-instances/{key}", self.get_instance),
                web.post("/v2/incidents/search", self.search_incidents),
                web.get("/v2/incidents/{key}", self.get_incident),
                web.put("/v2/clock", self.pin_clock),
                web.post("/v2/clock/reset", self.reset_clock),
            ]
        )
        return app

    @web.middleware
    async def _problems(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except InvalidArgumentError as exc:
            return _problem(request, 400, str(exc))
        except NotFoundError as exc:
            return _problem(request, 404, str(exc))
        except DevEngineError as exc:  # pragma: no cover - no other engine error is raised here
            return _problem(request, 400, str(exc))
        except web.HTTPException as exc:
            if exc.status < 400:  # pragma: no cover - the API answers no redirects
                raise
            return _problem(request, exc.status, _unserved(request, exc))
        except Exception:  # noqa: BLE001 - the last guard: a problem detail, never a trace
            # A bug, not bad input: logged here, answered without the stack trace.
            _log.exception("REST %s %s failed", request.method, request.path)
            return _problem(request, 500, "The dev engine failed on this request")

    @staticmethod
    async def _body(request: web.Request, allowed: set[str]) -> dict[str, Any]:
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            msg = "The request body is not valid JSON"
            raise InvalidArgumentError(msg) from None
        if not isinstance(body, dict):
            msg = "The request body must be a JSON object"
            raise InvalidArgumentError(msg)
        unknown = set(body) - allowed
        if unknown:
            msg = f"The request property(ies) {', '.join(sorted(unknown))} are not supported"
            raise InvalidArgumentError(msg)
        return body

    @staticmethod
    def _key(request: web.Request) -> int:
        text = request.match_info["key"]
        if not text.isdigit() or len(text) > 19:
            msg = f"The key '{text}' is not a valid key (a string of digits)"
            raise InvalidArgumentError(msg)
        return int(text)

    def _definition(self, request: web.Request) -> ProcessDefinition:
        key = self._key(request)
        definition = self._engine.definitions.get(key)
        if definition is None:
            msg = f"Process definition with key '{key}' not found"
            raise NotFoundError(msg)
        return definition

    async def pin_clock(self, request: web.Request) -> web.Response:
        """``PUT /v2/clock`` ``{"timestamp": <epoch ms>}``: pin the engine clock (204)."""
        body = await self._body(request, {"timestamp"})
        timestamp = body.get("timestamp")
        if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
            msg = "The property 'timestamp' must be the epoch time in milliseconds (an integer)"
            raise InvalidArgumentError(msg)
        self._engine.pin_clock(timestamp)
        return web.Response(status=204)

    async def reset_clock(self, _request: web.Request) -> web.Response:
        """``POST /v2/clock/reset``: the engine clock follows system time again (204)."""
        self._engine.reset_clock()
        return web.Response(status=204)

    async def topology(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "brokers": [
                    {
                        "nodeId": 0,
                        "host": self._grpc_host,
                        "port": self._grpc_port,
                        "partitions": [{"partitionId": 1, "role": "leader", "health": "healthy"}],
                        "version": GATEWAY_VERSION,
                    }
                ],
                "clusterSize": 1,
                "partitionsCount": 1,
                "replicationFactor": 1,
                "gatewayVersion": GATEWAY_VERSION,
                "lastCompletedChangeId": "-1",
                # Required (nullable) since 8.9; the dev engine has no cluster identity.
                "clusterId": None,
            }
        )

    async def search_definitions(self, request: web.Request) -> web.Response:
        body = await self._body(request, {"filter", "page", "sort"})
        spec = check_fields(body.get("filter"), set(DEFINITION_FIELDS) | {"isLatestVersion"})
        latest_only = spec.get("isLatestVersion", False)
        if not isinstance(latest_only, bool):
            msg = "The filter 'isLatestVersion' expects true or false"
            raise InvalidArgumentError(msg)
        items = [
            definition
            for definition in self._engine.definitions.values()
            if field_filter(definition, spec, DEFINITION_FIELDS, frozenset({"isLatestVersion"}))
            and (not latest_only or self._engine.latest(definition.bpmn_process_id) is definition)
        ]
        return self._page(body, items, DEFINITION_FIELDS, definition_json)

    async def get_definition(self, request: web.Request) -> web.Response:
        return web.json_response(definition_json(self._definition(request)))

    async def get_definition_xml(self, request: web.Request) -> web.Response:
        definition = self._definition(request)
        return web.Response(body=definition.resource, content_type="text/xml")

    async def element_statistics(self, request: web.Request) -> web.Response:
        definition = self._definition(request)
        body = await self._body(request, {"filter"})
        selection = InstanceFilter(body.get("filter"), BASE_INSTANCE_FIELDS, any_variable=True)
        counts = element_statistics(
            definition, matches=selection, archived=selection.archived(definition)
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

    async def search_instances(self, request: web.Request) -> web.Response:
        body = await self._body(request, {"filter", "page", "sort"})
        selection = InstanceFilter(
            body.get("filter"),
            INSTANCE_FIELDS,
            any_variable=False,
            extras=frozenset({"elementId", "errorMessage"}),
        )
        items = [instance for instance in self._engine.instances.values() if selection(instance)]
        return self._page(body, items, INSTANCE_FIELDS, instance_json)

    async def get_instance(self, request: web.Request) -> web.Response:
        key = self._key(request)
        instance = self._engine.instances.get(key)
        if instance is None:
            msg = f"Process instance with key '{key}' not found"
            raise NotFoundError(msg)
        return web.json_response(instance_json(instance))

    async def search_incidents(self, request: web.Request) -> web.Response:
        body = await self._body(request, {"filter", "page", "sort"})
        spec = check_fields(body.get("filter"), set(INCIDENT_FIELDS))
        items = [
            incident
            for incident in self._engine.incidents.values()
            if field_filter(incident, spec, INCIDENT_FIELDS)
        ]
        return self._page(body, items, INCIDENT_FIELDS, incident_json)

    async def get_incident(self, request: web.Request) -> web.Response:
        key = self._key(request)
        incident = self._engine.incidents.get(key)
        if incident is None:
            msg = f"Incident with key '{key}' not found"
            raise NotFoundError(msg)
        return web.json_response(incident_json(incident))

    @staticmethod
    def _page(
        body: dict[str, Any],
        items: list[Any],
        fields: dict[str, FieldSpec],
        shape: Callable[[Any], dict[str, Any]],
    ) -> web.Response:
        page = parse_page(body.get("page"))
        ordered = sort_items(items, body.get("sort"), sort_fields(fields))
        selected, info = paginate(ordered, page)
        return web.json_response({"items": [shape(item) for item in selected], "page": info})


def _unserved(request: web.Request, exc: web.HTTPException) -> str:
    """The detail of aiohttp's own refusals (no such route, wrong method, body too large)."""
    if exc.status not in {404, 405}:
        return exc.reason
    parts = request.path.split("/")
    spec_resource = len(parts) > 2 and parts[1] == "v2" and parts[2] in _SPEC_RESOURCES
    if spec_resource:
        return f"{request.method} {request.path} is not supported by the dev engine"
    return f"The dev engine does not serve {request.method} {request.path}"


def _problem(request: web.Request, status: int, detail: str) -> web.Response:
    return web.json_response(
        {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "instance": request.path,
        },
        status=status,
        content_type="application/problem+json",
    )
