"""``GET /v2/topology`` (one broker, one partition, the gRPC address clients connect to) and
``GET /v2/status`` (204: the one partition is healthy while the engine serves)."""

from aiohttp import web

from zeebe_devengine.rest.context import context
from zeebe_devengine.version import GATEWAY_VERSION

routes = web.RouteTableDef()


@routes.get("/v2/topology")
async def topology(request: web.Request) -> web.Response:
    served = context(request)
    return web.json_response(
        {
            "brokers": [
                {
                    "nodeId": 0,
                    "host": served.grpc_host,
                    "port": served.grpc_port,
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


@routes.get("/v2/status")
async def status(_request: web.Request) -> web.Response:
    return web.Response(status=204)
