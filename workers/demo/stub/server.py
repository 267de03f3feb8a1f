"""The VerifyMeNow stand-in as an aiohttp server, in-process or from `canary stub-verifymenow`.

Endpoints::

    POST /v1/identity/check      API v1 (see workers/verifymenow/v1.py)
    POST /v2/verifications       API v2 (see workers/verifymenow/v2.py)
    GET  /admin/config           {"v1": {...}, "v2": {...}, "seed": ...}
    PUT  /admin/config           partial update, e.g. {"v2": {"error_rate": 1}}; 400 if invalid
    GET  /admin/stats            per version: calls, processed, replayed, conflicts, invalid,
                                 unauthorized, outcomes, and per idempotency key
                                 {received, processed, stored}
    POST /admin/reset            forget counters and stored answers (the config stays)
    GET  /health                 {"status": "ok"}

    async with VerifyMeNowStub(StubConfig(v2=VersionBehaviour(error_rate=1))) as stub:
        stub.url                 # http://127.0.0.1:<free port>

It shares the caller's event loop and logs nothing per request (no access log), so the demo
can run it next to the workers.
"""

import json
from types import TracebackType
from typing import Any, Self

import structlog
from aiohttp import web

from workers.demo.stub.config import StubConfig, StubConfigError
from workers.demo.stub.provider import Answer, StandInProvider

log = structlog.get_logger(__name__)


def _to_response(answer: Answer) -> web.Response:
    return web.Response(
        status=answer.status,
        body=answer.body,
        content_type=answer.content_type,
        headers=dict(answer.headers),
    )


#: Not sent (the client is gone); marks the access log of a request whose body never came.
CLIENT_GONE = 499


async def _body(request: web.Request) -> bytes | None:
    """The request body, or None when the client went away while sending it (a worker killed
    mid-request): nothing to answer, and no traceback in the stand-in's log."""
    try:
        return await request.read()
    except ConnectionResetError:
        return None


async def _verify(provider: StandInProvider, version: int, request: web.Request) -> web.Response:
    body = await _body(request)
    if body is None:
        return web.Response(status=CLIENT_GONE)
    return _to_response(await provider.verify(version, request.headers, body))


def build_app(provider: StandInProvider) -> web.Application:
    async def verify_v1(request: web.Request) -> web.Response:
        return await _verify(provider, 1, request)

    async def verify_v2(request: web.Request) -> web.Response:
        return await _verify(provider, 2, request)

    async def get_config(_request: web.Request) -> web.Response:
        return web.json_response(provider.config.as_json())

    async def put_config(request: web.Request) -> web.Response:
        try:
            changes = json.loads(await request.read())
            config = provider.update_config(changes)
        except (ValueError, RecursionError) as exc:  # StubConfigError, or not JSON we take
            message = str(exc) if isinstance(exc, StubConfigError) else "body is not JSON"
            return web.json_response({"error": message}, status=400)
        log.info("verifymenow stand-in reconfigured", config=config.as_json())
        return web.json_response(config.as_json())

    async def get_stats(_request: web.Request) -> web.Response:
        return web.json_response(provider.stats())

    async def reset(_request: web.Request) -> web.Response:
        provider.reset()
        log.info("verifymenow stand-in reset")
        return web.json_response({"reset": True})

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/v1/identity/check", verify_v1)
    app.router.add_post("/v2/verifications", verify_v2)
    app.router.add_get("/admin/config", get_config)
    app.router.add_put("/admin/config", put_config)
    app.router.add_get("/admin/stats", get_stats)
    app.router.add_post("/admin/reset", reset)
    app.router.add_get("/health", health)
    return app


class VerifyMeNowStub:
    """Run the stand-in on `host:port` (port 0 = a free one) inside the current event loop."""

    def __init__(
        self,
        config: StubConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
    ) -> None:
        self.provider = StandInProvider(config or StubConfig(), api_key=api_key)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None

    @property
    def url(self) -> str:
        if self._bound_port is None:
            msg = "the stand-in is not running"
            raise RuntimeError(msg)
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._bound_port}"

    async def start(self) -> None:
        runner = web.AppRunner(build_app(self.provider), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address: Any = runner.addresses[0]
        self._bound_port = int(address[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._bound_port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
