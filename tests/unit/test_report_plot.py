"""The report's chart, inspected as a figure and as SVG (never as pixels)."""

import re
import sys
from datetime import UTC, datetime, timedelta

import pytest

from workers.cli import main
from workers.operate.report.model import (
    Bucket,
    Report,
    SequentialTest,
    Split,
    Verdict,
    VersionStats,
)
from workers.operate.report.plot import (
    PLOT_EXTRA_MISSING,
    build_figure,
    time_format,
    write_plot,
)
from workers.stats import wilson

START = datetime(2026, 11, 29, 12, 46, 20, tzinfo=UTC)
#: What matplotlib's automatic date formatter printed on sparse data: fractions of a second.
FRACTIONS = re.compile(r"\.\d{3,}")


def stats(version, attempts, failures):
    none = wilson(0, 0)
    return VersionStats(
        version=version,
        attempts=attempts,
        outcomes={},
        success=none,
        rejection=none,
        failure=wilson(failures, attempts),
        latency_p50_ms=None,
        latency_p95_ms=None,
    )


def report(*, span, buckets, rate_changes=()):
    columns = max(len(buckets), 1)
    return Report(
        rollout="verifymenow",
        since=START,
        until=START + span,
        current_rate=0.25,
        strategy="sticky",
        baseline_version=1,
        canary_version=2,
        versions={1: stats(1, 10, 1), 2: stats(2, 10, 2)},
        split=Split(0, 0, 0.0, None, None, mismatch=False, threshold=0.001, excluded={}),
        test=SequentialTest(
            verdict=Verdict.NOT_ENOUGH_DATA,
            reason="",
            llr=0.0,
            upper=2.77,
            lower=-1.56,
            ratio=2.0,
            alpha=0.05,
            beta=0.2,
            share=None,
            strata=1,
            baseline_failures=0,
            canary_failures=0,
            min_attempts=50,
            min_failures=5,
            decided_at=None,
        ),
        bucket_seconds=span.total_seconds() / columns,
        buckets=[
            Bucket(start=START + span * i / columns, attempts={1: n, 2: n}, failures={1: 0, 2: f})
            for i, (n, f) in enumerate(buckets)
        ],
        rate_changes=list(rate_changes),
    )


def tick_labels(figure):
    figure.draw_without_rendering()
    (axes,) = figure.axes
    return [label.get_text() for label in axes.get_xticklabels() if label.get_text()]


def days(moment):
    return moment.timestamp() / 86_400


def test_each_rate_change_is_marked_where_it_happened():
    changes = [START + timedelta(minutes=10), START + timedelta(minutes=35)]
    figure = build_figure(
        report(span=timedelta(hours=1), buckets=[(5, 1)] * 6, rate_changes=changes)
    )
    (axes,) = figure.axes
    marks = {line.get_gid(): line.get_xdata()[0] for line in axes.get_lines()}  # type: ignore[index]
    assert marks["rate-change-1"] == pytest.approx(days(changes[0]))
    assert marks["rate-change-2"] == pytest.approx(days(changes[1]))
    legend_box = axes.get_legend()
    assert legend_box is not None
    legend = [text.get_text() for text in legend_box.get_texts()]
    assert legend.count("rate changed") == 1


def test_no_rate_change_draws_no_mark():
    figure = build_figure(report(span=timedelta(hours=1), buckets=[(5, 1)] * 6))
    (axes,) = figure.axes
    assert not [line for line in axes.get_lines() if str(line.get_gid()).startswith("rate-")]


def test_rate_change_marks_are_in_the_svg(tmp_path):
    target = tmp_path / "chart.svg"
    changes = [START + timedelta(minutes=5)]
    write_plot(report(span=timedelta(hours=1), buckets=[(5, 1)] * 3, rate_changes=changes), target)
    svg = target.read_text()
    assert 'id="rate-change-1"' in svg
    assert 'id="failure-rate-v2"' in svg


@pytest.mark.parametrize(
    ("span", "buckets"),
    [
        (timedelta(seconds=3), [(1, 0)]),  # one record a few seconds ago: the sparse case
        (timedelta(seconds=40), [(0, 0), (2, 1), (0, 0), (1, 0)]),
        (timedelta(minutes=7), [(3, 0), (0, 0), (1, 1)]),
        (timedelta(hours=5), [(0, 0)] * 11 + [(4, 2)]),
        (timedelta(days=3), [(7, 1)] * 4),
        (timedelta(days=120), [(7, 1)] * 4),
    ],
)
def test_time_axis_labels_are_whole_distinct_times_on_sparse_data(span, buckets):
    labels = tick_labels(build_figure(report(span=span, buckets=buckets)))
    assert len(labels) >= 2, labels
    assert len(set(labels)) == len(labels), labels
    assert not [label for label in labels if FRACTIONS.search(label)], labels


def test_a_few_seconds_of_data_get_clock_times_with_seconds():
    labels = tick_labels(build_figure(report(span=timedelta(seconds=3), buckets=[(1, 0)])))
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", label) for label in labels), labels


def test_the_axis_label_names_the_time_zone_and_the_day():
    figure = build_figure(report(span=timedelta(hours=2), buckets=[(1, 0)]))
    (axes,) = figure.axes
    assert axes.get_xlabel() == "time (UTC), 2026-11-29"


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (timedelta(minutes=1), "%H:%M:%S"),
        (timedelta(hours=1), "%H:%M"),
        (timedelta(days=7), "%d %b %H:%M"),
        (timedelta(days=365), "%d %b %Y"),
    ],
)
def test_label_format_follows_the_span(span, expected):
    assert time_format(span) == expected


def test_without_the_plot_extra_report_says_which_extra_in_one_line(monkeypatch, tmp_path, capsys):
    """A base install has no matplotlib: `--plot` is refused before the database is asked
    (nothing answers at this URL), with the extra to install, and nothing is written."""
    # None in sys.modules is how Python marks a module as not importable.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    chart = tmp_path / "chart.svg"
    code = main(
        ["report", "--plot", str(chart), "--database-url", "postgresql://nobody@127.0.0.1:9/x"],
        environ={},
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err == f"canary: error: {PLOT_EXTRA_MISSING}\n"
    assert "camunda-canary[plot]" in PLOT_EXTRA_MISSING
    assert not chart.exists()
