"""An aiohttp application served on 127.0.0.1, port 0: the real HTTP peer some tests need
(token endpoints, webhook receivers, a REST API behind TLS)."""

import contextlib
import ssl
from collections.abc import AsyncIterator

from aiohttp import web


@contextlib.asynccontextmanager
async def serving(
    app: web.Application, *, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    """Serve `app` until the block ends; yields the port the kernel chose."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context).start()
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()
