"""`canary worker` as a real process for end-to-end fault tests: start, read, probe, stop.

The process's stderr (JSON log lines) is read continuously into `lines`, so a test can wait
for a line and count lines afterwards; `readyz()` asks the health endpoint.
"""

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import httpx
from support.ports import listening_ports

#: Runs `canary worker` with one method replaced by a bug (the `broken` argument).
BROKEN_WORKER = Path(__file__).with_name("broken_worker.py")


class WorkerProcess:
    def __init__(self, *args: str, env: dict[str, str], broken: str | None = None) -> None:
        """`canary worker ARGS`; with `broken` (a dotted async method), that method fails."""
        self.args = args
        self.broken = broken
        #: The health port the worker bound itself (port 0), once it listens.
        self.port: int | None = None
        self.env = {
            **os.environ,
            "CANARY_LOG_FORMAT": "json",
            "CANARY_HTTP_HOST": "127.0.0.1",
            "CANARY_HTTP_PORT": "0",
            **env,
        }
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        command = ["-m", "workers", "worker"]
        if self.broken is not None:
            command = [str(BROKEN_WORKER), self.broken]
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            *self.args,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def events(self, event: str) -> list[dict[str, Any]]:
        """The JSON log lines whose event is `event`."""
        found = []
        for line in self.lines:
            with contextlib.suppress(ValueError):
                parsed = json.loads(line)
                if isinstance(parsed, dict) and parsed.get("event") == event:
                    found.append(parsed)
        return found

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        if self.port is None and self.process is not None:
            ports = listening_ports(self.process.pid)
            self.port = ports.pop() if len(ports) == 1 else None
        if self.port is None:
            return 0, {}  # not listening yet: as unreachable as a refused connection
        async with httpx.AsyncClient(timeout=5) as client:
            try:
                response = await client.get(f"http://127.0.0.1:{self.port}/readyz")
            except httpx.TransportError:
                return 0, {}
            return response.status_code, response.json()

    async def wait_for(self, what: Callable[[], Any], *, timeout: float = 60) -> Any:
        """Poll `what` (sync or async) until it gives a truthy value; fail after `timeout`."""
        async with asyncio.timeout(timeout):
            while True:
                value = what()
                if asyncio.iscoroutine(value):
                    value = await value
                if value:
                    return value
                if self.process is not None and self.process.returncode is not None:
                    tail = "\n".join(self.lines[-20:])
                    msg = f"worker exited with {self.process.returncode}:\n{tail}"
                    raise AssertionError(msg)
                await asyncio.sleep(0.1)

    async def stop(self, *, timeout: float = 30) -> int:
        """SIGTERM, then the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await self.exit_code(timeout=timeout)

    async def exit_code(self, *, timeout: float = 30) -> int:
        assert self.process is not None
        code = await asyncio.wait_for(self.process.wait(), timeout)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, timeout)
        return code
