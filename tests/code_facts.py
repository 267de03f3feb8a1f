"""Facts the deployment files must agree with, read from the code and the Dockerfile."""

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")


def variables_the_code_reads() -> set[str]:
    """Every ALL_CAPS string constant in workers/settings/: the one package reading env
    (the package's `__all__` lists names it exports, not variables)."""
    found: set[str] = set()
    for path in (ROOT / "workers" / "settings").glob("*.py"):
        for statement in ast.parse(path.read_text()).body:
            if _is_all(statement):
                continue
            found |= {
                node.value
                for node in ast.walk(statement)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and _ENV_NAME.match(node.value)
            }
    return found


def _is_all(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id == "__all__" for target in statement.targets
    )


def health_server_paths() -> set[str]:
    """The paths the worker's HTTP server routes (workers/runtime/health_server.py)."""
    source = (ROOT / "workers" / "runtime" / "health_server.py").read_text()
    return set(re.findall(r'add_get\("([^"]+)"', source))


def dockerfile_user() -> tuple[int, int]:
    """The uid and gid of the final stage's USER line."""
    users = re.findall(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    uid, gid = users[-1]
    return int(uid), int(gid)


def dockerfile_exposed_ports() -> set[int]:
    lines = re.findall(r"^EXPOSE (.+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    return {int(port) for line in lines for port in line.split()}


def dockerfile_entrypoint() -> list[str]:
    (line,) = re.findall(r"^ENTRYPOINT (.+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    return list(ast.literal_eval(line))


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def measured_peak_rss_mb() -> dict[str, float]:
    """Peak RSS per worker process from docs/benchmarks.md (the end-to-end and the rollout
    controller benchmarks), by task group."""
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    line = re.search(r"Peak RSS per worker process: (.+?)\(goal", text, re.DOTALL)
    assert line, "docs/benchmarks.md no longer states the workers' peak RSS"
    found = re.findall(r"(choose|v1|v2)\s+([\d.]+)\s*MB", line.group(1))
    peaks = {task: float(mb) for task, mb in found}
    # The guarded rollout's controller (bench/guarded_rollout_controller.py).
    controller = re.search(r"Rollout controller\s+peak RSS:\s+([\d.]+) MB", text)
    assert controller, "docs/benchmarks.md no longer states the rollout controller's peak RSS"
    return peaks | {"rollout": float(controller.group(1))}
