"""Signals: the dev engine has none (models with signal events are refused at deployment),
so a broadcast is answered with a problem detail that says so, not as an unknown path."""

from aiohttp import web

from zeebe_devengine.rest.problems import problem

routes = web.RouteTableDef()


@routes.post("/v2/signals/broadcast")
async def broadcast_signal(request: web.Request) -> web.Response:
    return problem(
        request,
        404,
        "Signals are not supported by the dev engine: it refuses models with signal events, "
        "so no signal subscription can exist; use a Camunda 8 cluster for signals",
    )
