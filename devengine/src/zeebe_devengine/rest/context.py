"""What every REST handler reaches through its request: the engine and the gRPC address."""

from dataclasses import dataclass

from aiohttp import web

from zeebe_devengine.core.engine import Engine


@dataclass(frozen=True, slots=True)
class RestContext:
    engine: Engine
    grpc_host: str
    grpc_port: int


CONTEXT = web.AppKey("context", RestContext)


def context(request: web.Request) -> RestContext:
    return request.app[CONTEXT]


def engine(request: web.Request) -> Engine:
    return request.app[CONTEXT].engine
