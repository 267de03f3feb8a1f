"""`canary report --plot FILE`: the failure-rate chart as an SVG or PNG file (matplotlib, Agg).

`check_plot_path` runs before anything is queried, so a bad path, or a base install without
the `plot` extra (matplotlib), fails fast with one line and nothing written; `write_plot`
renders into memory first and writes the file in one go.

The chart marks each moment the rollout's rate changed (a dotted line, SVG id
``rate-change-N``). Its time axis always spans the report's window (at least a minute) with
one label format for the whole axis, chosen from that span: matplotlib's automatic formatter
labelled sparse data (a few points seconds apart) with ticks like ``46:23.000000``.
"""

import importlib.util
import io
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from workers.errors import CanaryError, InputError
from workers.operate.report.model import Report
from workers.routing import Version

FORMATS = {".svg": "svg", ".png": "png"}
#: By role, whatever the versions' numbers: the baseline first, the canary second.
_COLOURS = ("#1f77b4", "#c2185b")
#: The shortest time axis drawn: a report over a few seconds still gets readable ticks.
MIN_SPAN = timedelta(minutes=1)

#: The extra that brings matplotlib (pyproject.toml): the base install and the worker image
#: leave the plotting stack out.
PLOT_EXTRA_MISSING = "--plot needs the plotting extra: pip install 'camunda-canary[plot]'"

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class PlotExtraMissingError(CanaryError):
    """matplotlib (the `plot` extra) is not installed in this environment."""


def check_plot_path(path: Path) -> str:
    """The format for `path` (by extension), or `InputError` if it cannot be written;
    `PlotExtraMissingError` without matplotlib."""
    # find_spec looks without importing: the check stays as cheap as the rest of this one.
    if importlib.util.find_spec("matplotlib") is None:
        raise PlotExtraMissingError(PLOT_EXTRA_MISSING)
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
    """Render the chart for `report` and write it to `path` in one go."""
    fmt = check_plot_path(path)
    buffer = io.BytesIO()
    build_figure(report).savefig(buffer, format=fmt)
    try:
        path.write_bytes(buffer.getvalue())
    except OSError as exc:
        raise InputError(f"--plot {path}: {exc.strerror or exc}") from None


def build_figure(report: Report) -> "Figure":
    """Failure rate per time bucket and version, with 95 % Wilson intervals as bands."""
    import matplotlib as mpl  # noqa: PLC0415 - heavy; only `--plot` pays for it

    mpl.use("Agg")
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(9, 4.5), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    for version, colour in zip(report.pair, _COLOURS, strict=True):
        _plot_version(axes, report, version, colour)
    for number, changed_at in enumerate(report.rate_changes, start=1):
        axes.axvline(
            _days(changed_at),
            color="#555555",
            linestyle=":",
            linewidth=1.2,
            gid=f"rate-change-{number}",
            label="rate changed" if number == 1 else None,
        )
    if report.test.decided_at is not None:
        axes.axvline(
            _days(report.test.decided_at),
            color="black",
            linestyle="--",
            linewidth=1,
            gid="verdict",
            label=f"{report.verdict_label} (bound crossed)",
        )
    _time_axis(axes, report.since, report.until)
    axes.set_ylabel("technical failure rate (%)")
    axes.set_ylim(bottom=0)
    axes.set_title(
        f"{report.rollout}: {report.verdict_label}"
        f" (LLR {report.test.llr:.2f}, bounds {report.test.lower:.2f} / {report.test.upper:.2f})"
    )
    axes.grid(visible=True, alpha=0.3)
    axes.legend(loc="upper left")
    return figure


def _plot_version(axes: "Axes", report: Report, version: Version, colour: str) -> None:
    from workers.stats import wilson  # noqa: PLC0415

    half = timedelta(seconds=report.bucket_seconds / 2)  # points sit mid-bucket
    x, rates, lows, highs = [], [], [], []
    for bucket in report.buckets:
        n = bucket.attempts[version]
        if not n:
            continue
        p = wilson(bucket.failures[version], n)
        x.append(_days(bucket.start + half))
        rates.append((p.value or 0.0) * 100)
        lows.append((p.low or 0.0) * 100)
        highs.append((p.high or 0.0) * 100)
    total = report.versions[version]
    axes.plot(
        x,
        rates,
        marker="o",
        markersize=3,
        color=colour,
        gid=f"failure-rate-v{version}",
        label=f"v{version} ({total.attempts:,} attempts)",
    )
    axes.fill_between(x, lows, highs, color=colour, alpha=0.15, linewidth=0)


def _days(moment: datetime) -> float:
    """Matplotlib's date axis counts days since 1970-01-01 UTC (date2num does the same but is
    untyped)."""
    return moment.timestamp() / 86_400


def time_format(span: timedelta) -> str:
    """One strftime format for every label on an axis spanning `span`: no fractions."""
    if span <= timedelta(minutes=10):
        return "%H:%M:%S"
    if span <= timedelta(days=2):
        return "%H:%M"
    if span <= timedelta(days=60):
        return "%d %b %H:%M"
    return "%d %b %Y"


def _time_axis(axes: "Axes", since: datetime, until: datetime) -> None:
    from matplotlib.dates import AutoDateLocator, DateFormatter  # noqa: PLC0415

    span = max(until - since, MIN_SPAN)
    tz = since.tzinfo
    axes.set_xlim(_days(since), _days(since + span))
    # At most 8 ticks: never closer than a few seconds, so whole seconds always label them.
    # (matplotlib.dates has no annotations.)
    locator = AutoDateLocator(tz=tz, minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    formatter = DateFormatter(time_format(span), tz=tz)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(formatter)
    first, last = since.date(), (since + span).date()
    dates = f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    axes.set_xlabel(f"time ({since.tzname() or 'local'}), {dates}")
    for label in axes.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
