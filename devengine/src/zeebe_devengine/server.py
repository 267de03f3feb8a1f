"""`DevEngine`: the engine served over gRPC (and REST) in the caller's event loop.

    async with DevEngine(port=0, rest_port=0) as dev:
        channel = create_insecure_channel(grpc_address=dev.grpc_address)
        ...  # dev.rest_url for the REST API, dev.engine for the state itself

Port 0 picks a free port. Stopping answers every open long poll and ends every job stream
first, so clients see a clean end rather than a cancelled call.
"""

import asyncio
import socket
from types import TracebackType
from typing import Any, Self

import grpc
import structlog
from aiohttp import web
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from pyzeebe.proto.gateway_pb2_grpc import add_GatewayServicer_to_server

from zeebe_devengine.core.engine import DEFAULT_RETAINED_FINISHED, Engine
from zeebe_devengine.core.scheduler import AsyncioScheduler
from zeebe_devengine.errors import EngineStartError
from zeebe_devengine.gateway.dispatch import JobDispatcher
from zeebe_devengine.gateway.service import GatewayService
from zeebe_devengine.rest.app import RestApi

log = structlog.get_logger(__name__)

GATEWAY_SERVICE = "gateway_protocol.Gateway"
DEFAULT_GRPC_PORT = 26500
DEFAULT_REST_PORT = 8080
#: How long stopping waits for calls in progress before cancelling them.
STOP_GRACE_SECONDS = 1.0
_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _bound_socket(host: str, port: int, *, what: str) -> socket.socket:
    """A socket bound to host:port, or EngineStartError saying why not (in use, bad host)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except OSError as exc:
        msg = f"cannot listen on {_address(host, port)}{what}: {exc.strerror or exc}"
        raise EngineStartError(msg) from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        msg = f"cannot listen on {_address(host, port)}{what}: {exc.strerror or exc}"
        raise EngineStartError(msg) from None
    return sock


class DevEngine:
    """An in-memory Zeebe gateway double for tests and the offline demo; not for production."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_GRPC_PORT,
        rest_port: int | None = DEFAULT_REST_PORT,
        retained_finished: int = DEFAULT_RETAINED_FINISHED,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._requested_rest_port = rest_port
        self._retained_finished = retained_finished
        self._engine: Engine | None = None
        self._dispatcher: JobDispatcher | None = None
        self._server: Any = None
        self._health: Any = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.rest_port: int | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            msg = "the dev engine is not running"
            raise RuntimeError(msg)
        return self._engine

    @property
    def waiting_polls(self) -> int:
        """ActivateJobs calls currently waiting for jobs (diagnostics, tests)."""
        return 0 if self._dispatcher is None else self._dispatcher.waiting

    @property
    def grpc_address(self) -> str:
        return _address(self.host, self.port)

    @property
    def rest_url(self) -> str | None:
        if self.rest_port is None:
            return None
        return f"http://{_address(self.host, self.rest_port)}"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        if self._requested_port != 0:
            # Ask the OS first: gRPC would log its own multi-line bind error before ours.
            _bound_socket(self.host, self._requested_port, what="").close()
        loop = asyncio.get_running_loop()
        engine = Engine(AsyncioScheduler(loop), retained_finished=self._retained_finished)
        dispatcher = JobDispatcher(engine)
        server = grpc.aio.server(
            options=[
                # Without this a second engine could share the port silently (SO_REUSEPORT).
                ("grpc.so_reuseport", 0),
                ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ]
        )
        try:
            self.port = server.add_insecure_port(_address(self.host, self._requested_port))
        except RuntimeError:
            self.port = 0
        if self.port == 0:
            address = _address(self.host, self._requested_port)
            msg = f"cannot listen on {address} (in use, or not a local address)"
            raise EngineStartError(msg)
        add_GatewayServicer_to_server(
            GatewayService(engine, dispatcher, host=self.host, port=self.port), server
        )
        health_service = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_service, server)
        await server.start()
        for service in (GATEWAY_SERVICE, ""):
            await health_service.set(service, health_pb2.HealthCheckResponse.SERVING)
        self._engine, self._dispatcher, self._server, self._health = (
            engine,
            dispatcher,
            server,
            health_service,
        )
        if self._requested_rest_port is not None:
            try:
                await self._start_rest(engine, dispatcher)
            except BaseException:
                await self.stop()
                raise
        log.info("dev engine listening", grpc_address=self.grpc_address, rest_url=self.rest_url)

    async def _start_rest(self, engine: Engine, dispatcher: JobDispatcher) -> None:
        requested = self._requested_rest_port or 0
        sock = _bound_socket(self.host, requested, what=" for REST")
        self.rest_port = sock.getsockname()[1]
        api = RestApi(engine, dispatcher, grpc_host=self.host, grpc_port=self.port)
        # Requests that wait (awaitCompletion) get the same grace as gRPC calls, not
        # aiohttp's 60 s; long polls were already answered by the dispatcher's close.
        runner = web.AppRunner(
            api.application(), access_log=None, shutdown_timeout=STOP_GRACE_SECONDS
        )
        await runner.setup()
        self._runner = runner
        await web.SockSite(runner, sock).start()

    async def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.close()
        if self._health is not None:
            await self._health.enter_graceful_shutdown()
        if self._server is not None:
            await self._server.stop(STOP_GRACE_SECONDS)
            self._server = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._engine is not None:
            self._engine.close()
            log.info("dev engine stopped")
