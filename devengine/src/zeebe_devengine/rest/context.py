"""What every REST handler reaches through its request: the engine and the gRPC address."""

from dataclasses import dataclass, field

from aiohttp import web

from zeebe_devengine.core.engine import Engine
from zeebe_devengine.gateway.dispatch import JobDispatcher


@dataclass(frozen=True, slots=True)
class RestContext:
    engine: Engine
    #: The job pool's long polls, shared with gRPC's ActivateJobs.
    dispatcher: JobDispatcher
    grpc_host: str
    grpc_port: int
    #: Variable keys, handed out on first sight: the engine keys scopes, not variables.
    variable_keys: dict[tuple[int, str], int] = field(default_factory=dict)
    variables_by_key: dict[int, tuple[int, str]] = field(default_factory=dict)


CONTEXT = web.AppKey("context", RestContext)


def context(request: web.Request) -> RestContext:
    return request.app[CONTEXT]


def engine(request: web.Request) -> Engine:
    return request.app[CONTEXT].engine
