"""Camunda's REST API v2 (the Orchestration Cluster API) over aiohttp: the app and its routes.

One module per resource holds its handlers and JSON shapes (keys are strings, as in Camunda's
OpenAPI spec); `problems` turns every refusal into an RFC 9457 problem detail. Served:

- ``GET  /v2/topology``
- ``POST /v2/process-definitions/search``, ``GET /v2/process-definitions/{key}`` and
  ``.../{key}/xml``, ``POST .../{key}/statistics/element-instances``
- ``POST /v2/process-instances/search`` and ``GET /v2/process-instances/{key}``
- ``POST /v2/incidents/search`` and ``GET /v2/incidents/{key}``
- ``PUT /v2/clock`` and ``POST /v2/clock/reset``
"""

from aiohttp import web

from zeebe_devengine.core.engine import Engine
from zeebe_devengine.rest import clock, incidents, process_definitions, process_instances, topology
from zeebe_devengine.rest.context import CONTEXT, RestContext
from zeebe_devengine.rest.problems import problems

_RESOURCES = (topology, process_definitions, process_instances, incidents, clock)


class RestApi:
    def __init__(self, engine: Engine, *, grpc_host: str, grpc_port: int) -> None:
        self._context = RestContext(engine, grpc_host, grpc_port)

    def application(self) -> web.Application:
        app = web.Application(middlewares=[problems])
        app[CONTEXT] = self._context
        for resource in _RESOURCES:
            app.add_routes(resource.routes)
        return app
