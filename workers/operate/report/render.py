"""The terminal view of a `Report`: a table per version, the split, the verdict and a chart."""

from datetime import timedelta

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from workers.operate.report.model import DEFINITIONS, Report, Verdict
from workers.routing import format_rate
from workers.stats import Proportion

#: Rows of each version's chart; each row has 8 levels (Unicode eighth blocks).
CHART_HEIGHT = 4
_BLOCKS = " ▁▂▃▄▅▆▇█"
_EMPTY = "·"
#: By role, whatever the versions' numbers: the baseline first, the canary second.
_COLOURS = ("cyan", "magenta")
_VERDICT_STYLE = {
    Verdict.WORSE: "bold white on red",
    Verdict.NO_WORSE: "bold black on green",
    Verdict.NOT_ENOUGH_DATA: "bold black on yellow",
}


def render_report(report: Report, console: Console) -> None:
    console.print(report_view(report))


def report_view(report: Report) -> RenderableType:
    return Group(
        _heading(report),
        _versions_table(report),
        _split_text(report),
        Text(),
        _verdict_text(report),
        Text(),
        failure_chart(report),
        Text(),
        Text(
            "; ".join(f"{k}: {v}" for k, v in DEFINITIONS.items()),
            style="dim",
        ),
    )


def _heading(report: Report) -> Text:
    span = _duration(report.until - report.since)
    text = Text()
    text.append(f"canary report: {report.rollout}", style="bold")
    text.append(
        f"  {report.since:%Y-%m-%d %H:%M:%S} to {report.until:%H:%M:%S %Z} ({span})"
        f"  rate now {format_rate(report.current_rate)} to v{report.canary_version}, the rest"
        f" v{report.baseline_version} ({report.strategy})"
    )
    return text


def _percent(p: Proportion) -> str:
    if p.value is None or p.low is None or p.high is None:
        return "-"
    return f"{p.value * 100:.1f}% ({p.low * 100:.1f}-{p.high * 100:.1f})"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _versions_table(report: Report) -> Table:
    table = Table(
        title="per version (95% Wilson intervals)",
        title_justify="left",
        header_style="bold",
    )
    for header in ("version", "attempts", "success", "rejection", "failure", "p50", "p95"):
        table.add_column(header, justify="left" if header == "version" else "right")
    for version, colour in zip(report.pair, _COLOURS, strict=True):
        s = report.versions[version]
        table.add_row(
            Text(f"v{version}", style=colour),
            f"{s.attempts:,}",
            _percent(s.success),
            _percent(s.rejection),
            _percent(s.failure),
            _ms(s.latency_p50_ms),
            _ms(s.latency_p95_ms),
        )
    return table


def _split_text(report: Report) -> Text:
    split = report.split
    text = Text("split: ", style="bold")
    if not split.decisions:
        text.append("no sticky or random decisions recorded in this window")
    else:
        observed = split.observed_share or 0.0
        expected = split.expected_share or 0.0
        text.append(
            f"{split.canary_decisions:,} of {split.decisions:,} sticky/random decisions went to"
            f" v{report.canary_version} ({observed * 100:.2f}%); the rates in force expect"
            f" {split.expected_canary:,.1f}"
            f" ({expected * 100:.2f}%)"
        )
        if split.z is not None and split.p_value is not None:
            text.append(f"; z {split.z:.2f}, p {split.p_value:.3g}")
        if split.mismatch:
            text.append("\n  SAMPLE-RATIO MISMATCH", style="bold red")
            text.append(
                f" (p < {split.threshold:g}): the split is not what the rates say; find out why"
                " (lost decision records, a worker on another config, overrides) before"
                " trusting the comparison"
            )
        else:
            text.append(": no sample-ratio mismatch")
    excluded = ", ".join(f"{n} {rule}" for rule, n in split.excluded.items() if n)
    if excluded:
        text.append(f"\n  not in the split test (no share decided them): {excluded}")
    return text


def _verdict_text(report: Report) -> Text:
    test = report.test
    text = Text("verdict: ", style="bold")
    base, canary = (f"v{v}" for v in report.pair)
    text.append(f" {report.verdict_label} ", style=_VERDICT_STYLE[test.verdict])
    text.append(f"\n  {test.reason}")
    share = "-" if test.share is None else f"{test.share * 100:.1f}%"
    text.append(
        f"\n  SPRT on where failures land: LLR {test.llr:.2f}, bounds {test.lower:.2f} /"
        f" {test.upper:.2f} (alpha {test.alpha:g}, beta {test.beta:g}, H1: {canary} fails"
        f" {test.ratio:g}x as often as {base})"
        f"\n  failures {base} {test.baseline_failures:,}, {canary} {test.canary_failures:,};"
        f" {canary} share of attempts {share} over {test.strata} period(s) of constant rate;"
        f" minimum sample {test.min_attempts} attempts per version and"
        f" {test.min_failures} failures",
        style="dim",
    )
    return text


def failure_chart(report: Report, *, height: int = CHART_HEIGHT) -> Text:
    """A bar chart per version of the failure rate per time bucket, on one shared scale."""
    rates = [
        rate
        for bucket in report.buckets
        for v in report.pair
        if (rate := bucket.failure_rate(v)) is not None
    ]
    top = max(rates, default=0.0)
    text = Text("failure rate over time", style="bold")
    text.append(
        f" (one column per {_duration(timedelta(seconds=report.bucket_seconds))};"
        f" {_EMPTY} no attempts; scale 0 to {top * 100:.1f}%)\n"
    )
    label_width = 7
    levels = height * 8
    for version, colour in zip(report.pair, _COLOURS, strict=True):
        columns = [bucket.failure_rate(version) for bucket in report.buckets]
        for row in range(height - 1, -1, -1):
            if row == height - 1:
                label = f"v{version} {top * 100:.0f}%".rjust(label_width)
            elif row == 0:
                label = "0%".rjust(label_width)
            else:
                label = " " * label_width
            text.append(label + " ")
            for rate in columns:
                text.append(_cell(rate, row, top=top, levels=levels) * 2, style=colour)
            text.append("\n")
    axis_width = 2 * len(report.buckets)
    first, last = f"{report.since:%H:%M:%S}", f"{report.until:%H:%M:%S}"
    text.append(" " * (label_width + 1) + first + last.rjust(max(axis_width - len(first), 0)))
    return text


def _cell(rate: float | None, row: int, *, top: float, levels: int) -> str:
    if rate is None:
        return _EMPTY if row == 0 else " "
    eighths = round(rate / top * levels) if top > 0 else 0
    if rate > 0:
        eighths = max(eighths, 1)  # a failure is never drawn as nothing
    fill = eighths - row * 8
    if fill <= 0:
        return " "
    return _BLOCKS[min(fill, 8)]


def _duration(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 10:
        return f"{seconds:.1f}s".replace(".0s", "s")
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def print_report(report: Report) -> None:
    """Print to stdout at the terminal's width, or 120 columns when piped."""
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console = Console(width=120)
    render_report(report, console)
