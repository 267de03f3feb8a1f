"""A TCP proxy for fault injection: put it between a client and a server, then cut it.

`refuse()` makes new connections fail and `cut()` drops the open ones (the server sees a
client vanish, the client sees its server vanish); `hang()` keeps every connection open but
passes no byte (a silent network: calls neither fail nor answer); `restore()` lets traffic
through again.
Used to take Postgres (or a gateway) away from code under test without stopping the server
other tests share.
"""

import asyncio
import contextlib


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.accepting = True
        #: Set: bytes flow. Cleared by `hang()`: the pumps hold what they read.
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.port = 0

    async def start(self) -> "FaultProxy":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._links):
            task.cancel()
        await asyncio.gather(*self._links, return_exceptions=True)

    def refuse(self) -> None:
        self.accepting = False

    def restore(self) -> None:
        self.accepting = True
        self._flowing.set()

    def hang(self) -> None:
        self._flowing.clear()

    def cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def down(self) -> None:
        self.refuse()
        self.cut()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.accepting:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self._links.update(pumps)
        for pump in pumps:
            pump.add_done_callback(self._links.discard)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
