"""A Zeebe gateway double that answers ActivateJobs with whatever status a test chooses.

For fault tests that the dev engine cannot stage: a gateway that refuses the worker
(UNAUTHENTICATED, PERMISSION_DENIED...) and later lets it in again. Real gRPC on a local port;
Topology always answers, ActivateJobs answers `status` while one is set and otherwise holds
the long poll open until the request's timeout (or until `release()`), with no jobs.
"""

import asyncio
import contextlib
from typing import Any

import grpc
from pyzeebe.proto import gateway_pb2
from pyzeebe.proto.gateway_pb2_grpc import GatewayServicer, add_GatewayServicer_to_server


class FakeGateway(GatewayServicer):
    def __init__(self) -> None:
        self.status: grpc.StatusCode | None = None
        self.details = "refused by the fake gateway"
        #: ActivateJobs calls received, per status answered ("OK" for a long poll).
        self.calls: dict[str, int] = {}
        #: The authorization metadata of the last ActivateJobs call.
        self.authorization: str | None = None
        self._server: grpc.aio.Server | None = None
        self._release = asyncio.Event()
        self.port = 0

    async def start(self, *, tls: tuple[bytes, bytes] | None = None) -> "FakeGateway":
        """Serve on a free port; with `tls` (key, certificate PEM) over TLS."""
        self._server = grpc.aio.server()
        add_GatewayServicer_to_server(self, self._server)
        if tls is None:
            self.port = self._server.add_insecure_port("127.0.0.1:0")
        else:
            credentials = grpc.ssl_server_credentials([tls])
            self.port = self._server.add_secure_port("127.0.0.1:0", credentials)
        await self._server.start()
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=None)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def count(self, status: grpc.StatusCode | None) -> int:
        return self.calls.get(status.name if status else "OK", 0)

    def release(self) -> None:
        """End the long polls now open (so a changed `status` is seen at once)."""
        self._release.set()
        self._release = asyncio.Event()

    async def ActivateJobs(  # noqa: N802  (the gRPC method's name)
        self, request: gateway_pb2.ActivateJobsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> Any:
        metadata = dict(context.invocation_metadata() or ())
        self.authorization = metadata.get("authorization")
        status = self.status
        key = status.name if status else "OK"
        self.calls[key] = self.calls.get(key, 0) + 1
        if status is not None:
            await context.abort(status, self.details)
            return
        timeout = (request.requestTimeout or 10_000) / 1000
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), min(timeout, 2.0))
        yield gateway_pb2.ActivateJobsResponse(jobs=[])

    async def Topology(  # noqa: N802
        self, _request: gateway_pb2.TopologyRequest, _context: object
    ) -> gateway_pb2.TopologyResponse:
        return gateway_pb2.TopologyResponse(gatewayVersion="fake", brokers=[])
