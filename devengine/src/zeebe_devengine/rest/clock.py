"""Camunda's clock API, pinning the engine clock for timer tests (both answer 204).

``PUT /v2/clock`` (``{"timestamp": <epoch ms>}``) and ``POST /v2/clock/reset``.
"""

from aiohttp import web

from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import read_body

routes = web.RouteTableDef()


@routes.put("/v2/clock")
async def pin_clock(request: web.Request) -> web.Response:
    body = await read_body(request, {"timestamp"})
    timestamp = body.get("timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        msg = "The property 'timestamp' must be the epoch time in milliseconds (an integer)"
        raise InvalidArgumentError(msg)
    engine(request).pin_clock(timestamp)
    return web.Response(status=204)


@routes.post("/v2/clock/reset")
async def reset_clock(request: web.Request) -> web.Response:
    """The engine clock follows system time again."""
    engine(request).reset_clock()
    return web.Response(status=204)
