"""The port a server in a child process bound itself (it was given port 0), read back.

A port picked by binding a socket and releasing it can be taken by anyone before the
server binds it; a server that binds port 0 cannot lose its port. Which port it got is
read from the kernel's socket tables (Linux /proc), so nothing depends on the server
saying it, or on its log level.
"""

import asyncio
import contextlib
from pathlib import Path

_LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process `pid` listens on now (empty once it has exited)."""
    sockets: set[str] = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = str(fd.readlink())
                if target.startswith("socket:["):
                    sockets.add(target.removeprefix("socket:[").removesuffix("]"))
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == _LISTEN and fields[9] in sockets:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def bound_port(process: asyncio.subprocess.Process, *, timeout: float = 120) -> int:
    """The one TCP port `process` listens on, once it listens (RuntimeError if it exits)."""
    async with asyncio.timeout(timeout):
        while True:
            ports = listening_ports(process.pid)
            if len(ports) == 1:
                return ports.pop()
            if len(ports) > 1:
                msg = f"process {process.pid} listens on several ports: {sorted(ports)}"
                raise RuntimeError(msg)
            if process.returncode is not None:
                msg = f"process {process.pid} exited ({process.returncode}) before listening"
                raise RuntimeError(msg)
            await asyncio.sleep(0.05)
