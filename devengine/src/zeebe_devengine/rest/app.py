"""Camunda's REST API v2 (the Orchestration Cluster API) over aiohttp: the app and its routes.

One module per resource holds its handlers and JSON shapes (keys are strings, as in Camunda's
OpenAPI spec); `problems` turns every refusal into an RFC 9457 problem detail, and a path of
the spec that the dev engine does not serve says so. Served: topology and status;
deployments and resource deletion; process definitions (search, get, XML, element
statistics); process instances (create, cancel, search, get, call hierarchy); element
instances (search, get, variables); variables (search, get); jobs (activation, completion,
failure, error, update, search); messages (publication, correlation); incidents (search,
get, resolution); user tasks (search, get, assignment, completion); decision evaluation;
the clock. Signals answer that they are not supported.
"""

from aiohttp import web

from zeebe_devengine.core.engine import Engine
from zeebe_devengine.rest import (
    clock,
    decisions,
    deployments,
    element_instances,
    incidents,
    jobs,
    messages,
    process_definitions,
    process_instances,
    signals,
    topology,
    user_tasks,
    variables,
)
from zeebe_devengine.rest.context import CONTEXT, JobPolls, RestContext
from zeebe_devengine.rest.problems import problems

# aiohttp's plain `{key}` excludes braces, so a key holding one ("%7B") matched no route and
# answered 404; any segment reaches the handler, whose key check answers the spec's 400.
_ANY_KEY = "{key:[^/]+}"

_RESOURCES = (
    topology,
    deployments,
    process_definitions,
    process_instances,
    element_instances,
    variables,
    jobs,
    messages,
    signals,
    incidents,
    user_tasks,
    decisions,
    clock,
)


class RestApi:
    def __init__(
        self, engine: Engine, dispatcher: JobPolls, *, grpc_host: str, grpc_port: int
    ) -> None:
        self._context = RestContext(engine, dispatcher, grpc_host, grpc_port)

    def application(self) -> web.Application:
        app = web.Application(middlewares=[problems])
        app[CONTEXT] = self._context
        for resource in _RESOURCES:
            for route in resource.routes:
                if not isinstance(route, web.RouteDef):  # pragma: no cover - no static files
                    raise TypeError(route)
                path = route.path.replace("{key}", _ANY_KEY)
                app.router.add_route(route.method, path, route.handler, **route.kwargs)
        return app
