"""Every line of the README's `sh` blocks is run by the test suite, or named as not run.

Each line matches exactly one entry: `RUN_ELSEWHERE` (the test that runs it), `RUN_HERE`
(run below, as written) or `NOT_RUN` (the README's section "What was run here, and what was
not" says why, under that bold name). A new README line fails
`test_every_readme_line_is_run_or_named_as_not_run` until it is one of them.
"""

import os
import re
import shlex
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from support.readme import README, ROOT, SHELL_LINES

pytestmark = [pytest.mark.postgres]

CANARY_LINES = (
    "tests/integration/test_readme_commands.py"
    "::test_every_canary_line_of_the_readme_runs_against_the_stack"
)
#: Line (regular expression) -> the test that runs it.
RUN_ELSEWHERE = {
    r"^canary ": CANARY_LINES,
    r"^docker compose run --rm cli ": CANARY_LINES,  # the `canary` command it runs
    r"^curl -X PUT localhost:8090/admin/config ": (
        "tests/integration/test_readme_stub_request.py"
        "::test_the_readmes_fail_everything_request_works_against_the_compose_stand_in"
    ),
    # `make env`, then exactly this command with a smaller count.
    r"^make demo$": (
        "tests/integration/test_service_commands.py::test_the_demo_runs_to_its_summary_and_report"
    ),
    r"^make test$": ".ci/run",  # CI runs exactly this: the suite this test is part of
}
#: Run below, as written (the README's "Getting `canary` on your PATH").
RUN_HERE = (
    r"^source \.venv/bin/activate$",
    r"^\.venv/bin/canary --help$",
    r"^uv tool install \.$",
)
#: Line -> the bold name of its reason in the README.
NOT_RUN = {
    r"^docker compose (up|--profile) ": "docker compose",
    r"^kubectl ": "Kubernetes and Helm",
    r"^export ZEEBE_CLIENT_ID=": "Camunda SaaS",
    r"^export CAMUNDA_REST_ADDRESS=https://bru-2\.": "Camunda SaaS",
    r"^export DATABASE_URL=postgresql://canary:": "Camunda SaaS",
    r"^export (ZEEBE_ADDRESS=https://|CAMUNDA_BASIC_AUTH_USERNAME=)": "A real Camunda 8 cluster",
    r"^ZEEBE_ADDRESS=localhost:26500 .* -m engine$": "A real Camunda 8 cluster",
    r"^pipx install \.$": "`pipx install .`",
}


def _matches(line: str, patterns: Iterable[str]) -> list[str]:
    return [p for p in patterns if re.search(p, line)]


def test_every_readme_line_is_run_or_named_as_not_run():
    not_run_section = README.split("## What was run here, and what was not")[1].split("\n## ")[0]
    assert SHELL_LINES
    for line in SHELL_LINES:
        found = [*_matches(line, RUN_ELSEWHERE), *_matches(line, RUN_HERE)]
        found += _matches(line, NOT_RUN)
        assert len(found) == 1, f"README line {line!r} is matched by {found}"
    for test in set(RUN_ELSEWHERE.values()):
        path, _, name = test.partition("::")
        text = (ROOT / path).read_text()
        assert not name or re.search(rf"^(async )?def {name}\(", text, flags=re.MULTILINE), test
    for reason in set(NOT_RUN.values()):
        assert f"- **{reason}**" in not_run_section, reason
    for pattern in (*RUN_ELSEWHERE, *RUN_HERE, *NOT_RUN):
        assert any(re.search(pattern, line) for line in SHELL_LINES), f"{pattern} is stale"


def _path_line(pattern: str) -> str:
    [line] = [line for line in SHELL_LINES if re.search(pattern, line)]
    return line


def _shell(line: str, *, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: PLW1510 - the exit code is checked with the output
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    return done


def _environment(**extra: str) -> dict[str, str]:
    """The test's environment without any virtualenv on PATH, plus the checkout's uv."""
    venv = str(ROOT / ".venv" / "bin")
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p != venv]
    tools = ROOT / ".tools" / "bin"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST_"))},
        "PATH": os.pathsep.join([*path, str(tools)]),
        "UV_PYTHON_DOWNLOADS": "never",
        **extra,
    }


def test_activating_the_venv_puts_canary_on_path():
    env = _environment()
    line = _path_line(RUN_HERE[0])
    done = _shell(f"{line} && command -v canary && canary --version", env=env)
    assert done.stdout.splitlines()[0] == str(ROOT / ".venv" / "bin" / "canary")
    done = _shell(_path_line(RUN_HERE[1]), env=env)
    assert "usage: canary" in done.stdout


@pytest.mark.packaging
@pytest.mark.timeout(300)
def test_a_uv_tool_install_puts_a_working_canary_on_path(tmp_path, database_url):
    tools, bin_dir = tmp_path / "tools", tmp_path / "bin"
    env = _environment(UV_TOOL_DIR=str(tools), UV_TOOL_BIN_DIR=str(bin_dir))
    _shell(_path_line(RUN_HERE[2]), env=env)
    # Found on PATH from anywhere, not through the checkout.
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    show = f"canary rate show verifymenow --database-url {shlex.quote(database_url)}"
    done = _shell(f"command -v canary && {show}", env=env, cwd=tmp_path)
    assert done.stdout.splitlines()[0] == str(bin_dir / "canary")
    assert "verifymenow" in done.stdout
