"""What every REST handler reaches through its request: the engine and the gRPC address."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.state import JobActivation


class JobPolls(Protocol):
    """Long polls on the job pool (the gateway's dispatcher, which gRPC shares)."""

    async def poll(
        self,
        job_type: str,
        *,
        worker: str,
        timeout_ms: int,
        max_jobs: int,
        fetch: Sequence[str],
        request_timeout_ms: int,
    ) -> list[JobActivation]: ...


@dataclass(frozen=True, slots=True)
class RestContext:
    engine: Engine
    #: The job pool's long polls, shared with gRPC's ActivateJobs.
    dispatcher: JobPolls
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
