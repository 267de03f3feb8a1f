"""The HTTP endpoints containers need: /healthz, /readyz and /metrics.

- ``/healthz``: the process runs its event loop (200 while not stopping).
- ``/readyz``: 200 when every readiness check passes (the Zeebe gateway answers, Postgres is
  reachable for the parts that use it), else 503 with a JSON body saying which check failed.
- ``/metrics``: Prometheus text format.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Self

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: A check answers (ok, detail) within a few seconds.
ReadinessCheck = Callable[[], Awaitable[tuple[bool, str]]]
CHECK_TIMEOUT = 3.0


class HealthServer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        registry: CollectorRegistry,
        checks: Mapping[str, ReadinessCheck],
    ) -> None:
        self._host = host
        self._port = port
        self._registry = registry
        #: Replaceable: the service serves a "starting" check until its parts are up.
        self.checks = dict(checks)
        self._runner: web.AppRunner | None = None
        self.stopping = False
        self.port = port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        # With port 0 the OS picks one; aiohttp exposes the bound socket only here.
        sockets = getattr(site._server, "sockets", None)  # noqa: SLF001
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _healthz(self, _request: web.Request) -> web.Response:
        if self.stopping:
            return web.json_response({"status": "stopping"}, status=503)
        return web.json_response({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        checks = dict(self.checks)
        results = await asyncio.gather(*(self._run(check) for check in checks.values()))
        answers = {
            name: {"ok": ok, "detail": detail}
            for name, (ok, detail) in zip(checks, results, strict=True)
        }
        ready = not self.stopping and all(ok for ok, _ in results)
        body = {"status": "ready" if ready else "not ready", "checks": answers}
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(self._registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    @staticmethod
    async def _run(check: ReadinessCheck) -> tuple[bool, str]:
        try:
            return await asyncio.wait_for(check(), CHECK_TIMEOUT)
        except TimeoutError:
            return False, f"no answer within {CHECK_TIMEOUT:.0f} s"
        except Exception as exc:  # noqa: BLE001  (a failing check is a "no", never a 500)
            return False, f"{type(exc).__name__}: {exc}"
