"""Issue 13: what the product weighs installed, with and without the `plot` extra.

    .venv/bin/python bench/installed_size.py

Builds the product's wheel and installs it into two fresh venvs outside the repository: the
base install (what the worker image holds) and the base plus `[plot]` (what every install
held before matplotlib became an extra). Prints the size of each venv's site-packages, and
the largest distributions that only the extra brings in.
"""

import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import Distribution
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def _uv() -> str:
    local = REPO / ".tools" / "bin" / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    assert found, "uv not found: run `make env` first"
    return found


def _run(*command: str | Path) -> None:
    subprocess.run([str(part) for part in command], check=True, capture_output=True)


def _site_packages(venv: Path) -> Path:
    [found] = venv.glob("lib/python*/site-packages")
    return found


def _tree_bytes(path: Path) -> int:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())


def _distribution_bytes(site: Path) -> dict[str, int]:
    """Bytes on disk per installed distribution, from each one's RECORD."""
    sizes = {}
    for info in site.glob("*.dist-info"):
        distribution = Distribution.at(info)
        total = 0
        for file in distribution.files or ():
            located = Path(str(distribution.locate_file(file)))
            if located.is_file():
                total += located.stat().st_size
        sizes[distribution.metadata["Name"].lower()] = total
    return sizes


def _install(root: Path, name: str, requirement: str) -> Path:
    venv = root / name
    _run(_uv(), "venv", "--quiet", "--python", sys.executable, venv)
    _run(_uv(), "pip", "install", "--quiet", "--python", venv / "bin" / "python", requirement)
    return _site_packages(venv)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="canary-size-") as scratch:
        root = Path(scratch)
        _run(_uv(), "build", "--quiet", "--wheel", "--out-dir", root / "dist", REPO)
        [wheel] = (root / "dist").glob("*.whl")
        base = _install(root, "base", str(wheel))
        plot = _install(root, "plot", f"{wheel}[plot]")
        base_bytes, plot_bytes = _tree_bytes(base), _tree_bytes(plot)
        print(f"base install (worker image):       {base_bytes / MIB:7.1f} MiB site-packages")
        print(f"base + [plot] (the install before): {plot_bytes / MIB:7.1f} MiB site-packages")
        print(
            f"saved by the extra: {(plot_bytes - base_bytes) / MIB:.1f} MiB"
            f" ({1 - base_bytes / plot_bytes:.0%})"
        )
        base_sizes, plot_sizes = _distribution_bytes(base), _distribution_bytes(plot)
        only_plot = {n: b for n, b in plot_sizes.items() if n not in base_sizes}
        print("distributions only [plot] installs:")
        for name, size in sorted(only_plot.items(), key=lambda item: -item[1]):
            print(f"  {name:24} {size / MIB:6.1f} MiB")
        print("largest in the base install:")
        for name, size in sorted(base_sizes.items(), key=lambda item: -item[1])[:6]:
            print(f"  {name:24} {size / MIB:6.1f} MiB")


if __name__ == "__main__":
    main()
