"""Stopping on SIGINT and SIGTERM: one helper for every long-running command.

The signal sets an event instead of tearing the event loop down mid-flight, so whatever runs
under it (the worker service, the demo, the stand-in, the load generator)
stops in its own order: stop taking work, finish what is in flight, close.
"""

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.asynccontextmanager
async def stop_on_signals() -> AsyncIterator[asyncio.Event]:
    """Yield an event that SIGINT or SIGTERM sets; the handlers are removed on exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
