"""A bare pyzeebe worker for the gate-cost comparison: answers `choose-version` with nothing
but a fixed variable. Same pyzeebe settings as `canary worker` (batch 32, 64 running, long
polling, unlimited retries, 1 s saturation pause), no logging per job, no database.

    .venv/bin/python bench/noop_worker.py GATEWAY_ADDRESS
"""

import asyncio
import signal
import sys

from pyzeebe import ZeebeWorker, create_insecure_channel


async def main(address: str) -> None:
    channel = create_insecure_channel(grpc_address=address)
    worker = ZeebeWorker(
        channel, name="noop", max_connection_retries=-1, poll_retry_delay=1, stream_enabled=False
    )

    @worker.task("choose-version", max_jobs_to_activate=32, max_running_jobs=64)
    async def choose() -> dict[str, object]:
        return {"useVersion": 1}

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    work = asyncio.create_task(worker.work())
    print("ready", flush=True)
    await stop.wait()
    await worker.stop()
    await work


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
