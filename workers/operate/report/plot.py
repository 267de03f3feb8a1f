"""`canary report --plot FILE`: the failure-rate chart as an SVG or PNG file (matplotlib, Agg).

`check_plot_path` runs before anything is queried, so a bad path fails fast with one line and
nothing written; `write_plot` renders into memory first and writes the file in one go.
"""

import io
import os
from datetime import timedelta
from pathlib import Path

from workers.errors import InputError
from workers.operate.report.model import Report
from workers.routing import VERSIONS, Version

FORMATS = {".svg": "svg", ".png": "png"}
_COLOUR: dict[Version, str] = {1: "#1f77b4", 2: "#c2185b"}


def check_plot_path(path: Path) -> str:
    """The format for `path` (by extension), or `InputError` if it cannot be written."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"--plot {path}: use a .svg or .png file name")
    parent = path.parent if str(path.parent) else Path()
    if path.is_dir():
        raise InputError(f"--plot {path}: is a directory")
    if not parent.is_dir():
        raise InputError(f"--plot {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"--plot {path}: not writable")
    return fmt


def write_plot(report: Report, path: Path) -> None:
    """Failure rate per time bucket and version, with 95 % Wilson intervals as bands."""
    fmt = check_plot_path(path)
    import matplotlib as mpl  # noqa: PLC0415 - heavy; only `--plot` pays for it

    mpl.use("Agg")
    from matplotlib.figure import Figure  # noqa: PLC0415

    from workers.stats import wilson  # noqa: PLC0415

    figure = Figure(figsize=(9, 4.5), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    half = timedelta(seconds=report.bucket_seconds / 2)  # points sit mid-bucket
    for version in VERSIONS:
        times, rates, lows, highs = [], [], [], []
        for bucket in report.buckets:
            n = bucket.attempts[version]
            if not n:
                continue
            p = wilson(bucket.failures[version], n)
            times.append(bucket.start + half)
            rates.append((p.value or 0.0) * 100)
            lows.append((p.low or 0.0) * 100)
            highs.append((p.high or 0.0) * 100)
        # Matplotlib's date axis counts days since its epoch, 1970-01-01 UTC by default
        # (date2num does the same but is untyped).
        x = [t.timestamp() / 86_400 for t in times]
        colour = _COLOUR[version]
        total = report.versions[version]
        axes.plot(
            x,
            rates,
            marker="o",
            markersize=3,
            color=colour,
            label=f"v{version} ({total.attempts:,} attempts)",
        )
        axes.fill_between(x, lows, highs, color=colour, alpha=0.15, linewidth=0)
    if report.test.decided_at is not None:
        axes.axvline(
            report.test.decided_at.timestamp() / 86_400,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"{report.test.verdict.value} (bound crossed)",
        )
    axes.xaxis_date(tz=report.since.tzinfo)
    axes.set_ylabel("technical failure rate (%)")
    axes.set_ylim(bottom=0)
    axes.set_title(
        f"{report.rollout}: {report.test.verdict.value}"
        f" (LLR {report.test.llr:.2f}, bounds {report.test.lower:.2f} / {report.test.upper:.2f})"
    )
    axes.grid(visible=True, alpha=0.3)
    axes.legend(loc="upper left")
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    try:
        path.write_bytes(buffer.getvalue())
    except OSError as exc:
        raise InputError(f"--plot {path}: {exc.strerror or exc}") from None
