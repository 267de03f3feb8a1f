"""The product's wheel, installed outside the repository, migrates and deploys on its own.

Builds the wheel, installs it into a fresh virtual environment in a temporary folder (no
clone beside it), and runs `canary migrate` against a fresh database and `canary deploy`
against a dev engine: the migrations and the model come from the wheel's package data.
"""

import asyncio
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import psycopg
import pytest
from zeebe_devengine.server import DevEngine

from workers import process

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(600)]


def _uv() -> str:
    found = REPO / ".tools" / "bin" / "uv"
    return str(found) if found.exists() else shutil.which("uv") or pytest.fail("uv not found")


def _environment(**extra: str) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("VIRTUAL_ENV", "PYTHON", "ZEEBE_", "CAMUNDA_", "PYTEST_"))
    }
    return {**environment, "UV_PYTHON_DOWNLOADS": "never", **extra}


def _run(*command: str | Path, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: PLW1510 - the return code is checked below, with the output
        [str(part) for part in command],
        cwd=cwd,
        env=_environment(**extra),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `canary` command of a fresh venv holding only the product's wheel and its deps."""
    root = tmp_path_factory.mktemp("product-wheel")
    _run(_uv(), "build", "--wheel", "--out-dir", root / "dist", REPO, cwd=REPO)
    [wheel] = (root / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert f"workers/_shipped/bpmn/{process.BPMN_FILE}" in names
    assert any(n.startswith("workers/_shipped/migrations/0001_") for n in names)
    venv = root / "venv"
    _run(_uv(), "venv", "--python", sys.executable, venv, cwd=root)
    _run(_uv(), "pip", "install", "--python", venv / "bin" / "python", wheel, cwd=root)
    return venv / "bin" / "canary"


async def test_the_installed_wheel_migrates_and_deploys_without_a_clone(
    installed: Path, database_url: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"  # no migrations/ or bpmn/ here
    elsewhere.mkdir()
    # The fixture's database is migrated already: an empty one shows the wheel's migrations.
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("DROP SCHEMA canary CASCADE")
    migrated = _run(installed, "migrate", cwd=elsewhere, DATABASE_URL=database_url)
    assert "0001" in migrated.stdout + migrated.stderr
    async with DevEngine(port=0, rest_port=None) as engine:
        # Not subprocess.run: the engine serves from this event loop, which must keep running.
        deploy = await asyncio.create_subprocess_exec(
            installed,
            "deploy",
            "--json",
            cwd=elsewhere,
            env=_environment(ZEEBE_ADDRESS=engine.grpc_address),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(deploy.communicate(), timeout=120)
        finally:
            if deploy.returncode is None:  # timed out: not left behind
                deploy.kill()
                await deploy.wait()
    assert deploy.returncode == 0, err.decode()
    assert process.PROCESS_ID in out.decode()
    assert process.BPMN_FILE in out.decode()


def test_the_base_install_leaves_the_plotting_stack_out_and_names_its_extra(
    installed: Path, tmp_path: Path
) -> None:
    """The worker image's install: no matplotlib, numpy or pillow; `report --plot` says in
    one line which extra brings them, before it asks the database (nothing answers there)."""
    python = installed.parent / "python"
    for module in ("matplotlib", "numpy", "PIL"):
        probe = subprocess.run(  # noqa: PLW1510 - a failed import is the expected outcome
            [str(python), "-c", f"import {module}"], capture_output=True, text=True
        )
        assert probe.returncode == 1, f"{module} is in the base install"
    chart = tmp_path / "chart.svg"
    done = subprocess.run(  # noqa: PLW1510 - the exit code is what is checked
        [str(installed), "report", "--plot", str(chart)],
        cwd=tmp_path,
        env=_environment(DATABASE_URL="postgresql://nobody@127.0.0.1:9/nothing"),
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "canary: error: --plot needs the plotting extra: pip install 'camunda-canary[plot]'\n"
    )
    assert not chart.exists()
