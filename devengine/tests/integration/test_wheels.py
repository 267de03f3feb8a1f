"""The two wheels: the product's holds no engine code, and the engine's works on its own.

Builds both wheels, installs the engine's with pyzeebe and pytest alone into a fresh virtual
environment outside the repository, and runs there a test file like another project's: it
deploys a one-task model through the plugin's `zeebe_client` and completes the job with a
pyzeebe worker. Proof that a project can `pip install zeebe-devengine[pytest]` and test with it.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ENGINE = REPO / "devengine"

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(600)]

OTHER_PROJECTS_TEST = """
import asyncio

from pyzeebe import ZeebeWorker
from zeebe_devengine.bpmn.builder import one_task_process


async def test_a_pyzeebe_worker_completes_a_job_on_the_fixture_engine(
    zeebe_target, zeebe_client, zeebe_channel, tmp_path
):
    assert zeebe_target.is_dev_engine
    model = tmp_path / "greet.bpmn"
    model.write_text(one_task_process("greet-process", "greet"))
    await zeebe_client.deploy_resource(str(model))
    worker = ZeebeWorker(zeebe_channel, name="elsewhere", poll_retry_delay=1)

    @worker.task("greet")
    async def greet(name: str) -> dict:
        return {"greeting": f"hello {name}"}

    working = asyncio.create_task(worker.work())
    result = await zeebe_client.run_process_with_result(
        "greet-process", {"name": "Ann"}, timeout=20_000
    )
    await worker.stop()
    await working
    assert result.variables == {"name": "Ann", "greeting": "hello Ann"}
"""


def _uv() -> str:
    found = REPO / ".tools" / "bin" / "uv"
    return str(found) if found.exists() else shutil.which("uv") or pytest.fail("uv not found")


def _run(*command: str | Path, cwd: Path) -> str:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("VIRTUAL_ENV", "PYTHON", "ZEEBE_", "CAMUNDA_", "PYTEST_"))
    }
    environment["UV_PYTHON_DOWNLOADS"] = "never"
    done = subprocess.run(  # noqa: PLW1510 - the return code is checked below, with the output
        [str(part) for part in command], cwd=cwd, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _wheel(folder: Path, project: Path) -> Path:
    _run(_uv(), "build", "--wheel", "--out-dir", folder, project, cwd=REPO)
    [wheel] = folder.glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("wheels")
    return _wheel(root / "product", REPO), _wheel(root / "engine", ENGINE)


def test_the_product_wheel_holds_no_engine_code_and_offers_it_as_the_demo_extra(
    wheels: tuple[Path, Path],
) -> None:
    product, _ = wheels
    with zipfile.ZipFile(product) as archive:
        names = archive.namelist()
        [metadata] = [name for name in names if name.endswith(".dist-info/METADATA")]
        requirements = [
            line
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    assert any(name.startswith("workers/cli/") for name in names)
    assert [name for name in names if "devengine" in name] == []
    assert "Requires-Dist: zeebe-devengine; extra == 'demo'" in requirements


def test_the_engine_wheel_alone_serves_another_projects_tests(
    wheels: tuple[Path, Path], tmp_path: Path
) -> None:
    _, engine = wheels
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    _run(_uv(), "venv", "--python", sys.executable, venv, cwd=tmp_path)
    _run(
        _uv(),
        "pip",
        "install",
        "--python",
        python,
        engine,
        f"pytest=={version('pytest')}",
        f"pytest-asyncio=={version('pytest-asyncio')}",
        cwd=tmp_path,
    )
    project = tmp_path / "another-project"
    project.mkdir()
    (project / "test_with_the_engine.py").write_text(OTHER_PROJECTS_TEST)
    output = _run(
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_mode=auto",
        cwd=project,
    )
    assert "1 passed" in output
    installed = _run(_uv(), "pip", "list", "--python", python, cwd=tmp_path)
    assert "camunda-canary" not in installed
    assert "zeebe-devengine" in installed
