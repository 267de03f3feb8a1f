"""What `canary demo` shows: the live per-version table and the closing summary."""

from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from workers.demo.database import DemoDatabase
from workers.operate.status import Status
from workers.routing import format_rate

if TYPE_CHECKING:
    from workers.demo.run import DemoResult


def finished_count(status: Status | None) -> int:
    """Instances that left the verify tasks: verified, rejected, unreadable or in an incident."""
    if status is None:
        return 0
    return sum(
        s.completed + s.rejected + s.unreadable + s.incidents for s in status.versions.values()
    )


def progress_view(
    status: Status | None, *, started: int, instances: int, rate: float, elapsed: float
) -> RenderableType:
    """The live table: per version, where the instances routed to it are."""
    finished = finished_count(status)
    line = Text(
        f"rate {format_rate(rate)} to v2   started {started}/{instances}   "
        f"finished {finished}   {elapsed:.1f} s"
    )
    bar = ProgressBar(total=instances, completed=finished, width=60)
    return Group(versions_table(status, started=started), line, bar)


def versions_table(status: Status | None, *, started: int) -> Table:
    """Per version, where the instances routed to it are (what Operate shows)."""
    table = Table(title="identity verification, per version", title_justify="left")
    for header in (
        "version",
        "routed",
        "in progress",
        "verified",
        "rejected",
        "new document",
        "incidents",
    ):
        table.add_column(header, justify="right" if header != "version" else "left")
    if status is not None:
        for version, s in status.versions.items():
            routed = s.active + s.incidents + s.completed + s.rejected + s.unreadable
            share = f" ({routed / started:.0%})" if started else ""
            table.add_row(
                f"v{version}",
                f"{routed}{share}",
                str(s.active),
                str(s.completed),
                str(s.rejected),
                str(s.unreadable),
                Text(str(s.incidents), style="bold red" if s.incidents else ""),
            )
    return table


def print_summary(result: "DemoResult", console: Console, database: DemoDatabase) -> None:
    console.rule("summary")
    if result.interrupted:
        console.print(f"stopped by you after {result.elapsed:.1f} s: {result.started} started")
        return
    ramp = " -> ".join(format_rate(rate) for _, rate in result.rates)
    state = "all finished" if not result.timed_out else "some still running at the time limit"
    console.print(f"{result.started} instances in {result.elapsed:.1f} s ({state}); rate {ramp}.")
    if not database.throwaway:
        console.print(f"The demo database stays: canary report --database-url {database.url}")
    if result.status is not None:
        incidents = sum(s.incidents for s in result.status.versions.values())
        if incidents:
            console.print(
                f"{incidents} instance(s) ended in an incident after their retries ran out: "
                "in Camunda they would wait in Operate for you to fix and retry them."
            )
