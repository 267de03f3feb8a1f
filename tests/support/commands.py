"""Running `canary` as a user does: a separate process, its own environment, its exit code."""

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

#: Ctrl-C works as in a terminal even when the test run was started in the background (a
#: non-interactive shell starts background jobs with SIGINT ignored, and children inherit
#: that: `status --watch` would then never see the README user's Ctrl-C). A fresh interpreter
#: restores the default and execs the command: no Python code runs in the forked copy of this
#: process, whose gRPC threads made such code crash (SIGABRT in gRPC, once a segfault in the
#: child's `signal.signal`).
_AS_IN_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL);"
    " os.execv(sys.executable, [sys.executable, '-m', 'workers', *sys.argv[1:]])"
)


async def spawn_canary(
    *args: str, env: dict[str, str] | None = None, ctrl_c: bool = False
) -> asyncio.subprocess.Process:
    """Start `canary ARGS...` (JSON logs on stderr); the caller waits for or stops it."""
    launch = ("-c", _AS_IN_A_TERMINAL) if ctrl_c else ("-m", "workers")
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *launch,
        *args,
        env={**os.environ, "CANARY_LOG_FORMAT": "json", **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@contextlib.asynccontextmanager
async def running_canary(
    *args: str, env: dict[str, str] | None = None, ctrl_c: bool = False
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`spawn_canary`, killed on the way out if it still runs: a failed step before the test
    stops it must not leave it behind (a 100 000-instance demo kept running under load)."""
    process = await spawn_canary(*args, env=env, ctrl_c=ctrl_c)
    try:
        yield process
    finally:
        await killed(process)


async def killed(process: asyncio.subprocess.Process) -> None:
    """SIGKILL `process` unless it has ended, and reap it."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def canary(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, str, str]:
    """Run `canary ARGS...` to its end: exit code, stdout, stderr."""
    async with running_canary(*args, env=env) as process:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def until_logged(
    process: asyncio.subprocess.Process, event: str, *, timeout: float = 30
) -> tuple[dict[str, Any], bytes]:
    """Read `process`'s JSON log lines on stderr up to the first whose event is `event`: that
    line's fields, and all of stderr read so far. Ending first fails with what it wrote."""
    assert process.stderr is not None
    seen = b""
    async with asyncio.timeout(timeout):
        while line := await process.stderr.readline():
            seen += line
            with contextlib.suppress(ValueError):
                logged = json.loads(line)
                if isinstance(logged, dict) and logged.get("event") == event:
                    return logged, seen
    raise AssertionError(f"exited before logging {event!r}: {seen.decode()[-500:]}")
