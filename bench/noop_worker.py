"""A bare pyzeebe worker for the gate-cost comparison: answers `choose-version` with nothing
but a fixed variable. Same pyzeebe settings as `canary worker` (batch 32, 64 running, long
polling, unlimited retries, 1 s saturation pause), no logging per job, no database.

    .venv/bin/python bench/noop_worker.py GATEWAY_ADDRESS
"""

import asyncio
import signal
import sys
from typing import TYPE_CHECKING, Any, cast

from pyzeebe import ZeebeWorker, create_insecure_channel

if TYPE_CHECKING:
    from collections.abc import Callable


async def main(address: str) -> None:
    channel = create_insecure_channel(grpc_address=address)
    worker = ZeebeWorker(
        channel, name="noop", max_connection_retries=-1, poll_retry_delay=1, stream_enabled=False
    )

    async def choose() -> dict[str, Any]:
        return {"useVersion": 1}

    # pyzeebe's decorator overloads reject async functions under mypy (workers/ casts too).
    worker.task("choose-version", max_jobs_to_activate=32, max_running_jobs=64)(
        cast("Callable[..., Any]", choose)
    )

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    work = asyncio.create_task(worker.work())
    print("ready", flush=True)
    await stop.wait()
    await worker.stop()
    await work


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
