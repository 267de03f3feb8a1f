"""The terminal view of `canary status`: one table per refresh, redrawn in place by `watch`."""

import asyncio
from collections.abc import Awaitable, Callable

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from workers import process
from workers.errors import CanaryError
from workers.operate.status import Status
from workers.routing import format_rate


def status_view(status: Status) -> RenderableType:
    # Process versions (deployments of the BPMN) are not the integration's v1/v2: say so.
    deployed = ", ".join(str(d.version) for d in status.definitions) or "none"
    heading = Text()
    heading.append(f"{status.process_id}", style="bold")
    heading.append(f" (process versions deployed: {deployed})  rollout {status.rollout}: ")
    baseline, canary = status.pair
    heading.append(f"{format_rate(status.rate)} to v{canary}", style="bold")
    heading.append(f", the rest to v{baseline} ({status.strategy})")
    table = Table(header_style="bold")
    for header in ("integration", "active on verify", "completed", "rejected", "unreadable"):
        table.add_column(header, justify="left" if header == "integration" else "right")
    table.add_column("incidents", justify="right")
    for v, s in status.versions.items():
        table.add_row(
            f"v{v}",
            f"{s.active:,}",
            f"{s.completed:,}",
            f"{s.rejected:,}",
            f"{s.unreadable:,}",
            Text(f"{s.incidents:,}", style="bold red" if s.incidents else ""),
        )
    parts: list[RenderableType] = [heading, table]
    parts.append(
        Text(
            f"routing ({process.CHOOSE_VERSION}): {status.routing_active:,} active,"
            f" {status.routing_incidents:,} incident(s)"
        )
    )
    if status.incident_total:
        incidents = Table(
            title=f"open incidents: {status.incident_total:,} (newest first)",
            title_justify="left",
            header_style="bold",
        )
        for header in ("incident", "type", "element", "instance", "message"):
            incidents.add_column(header)
        for i in status.incidents:
            message = " ".join(i.error_message.split())
            incidents.add_row(
                i.key,
                i.error_type,
                i.element_id,
                i.process_instance_key,
                message[:80] + ("..." if len(message) > 80 else ""),
            )
        parts.append(incidents)
    else:
        parts.append(Text("no open incidents", style="green"))
    parts.append(Text(f"as of {status.fetched_at:%H:%M:%S %Z}", style="dim"))
    return Group(*parts)


async def watch(
    fetch: Callable[[], Awaitable[Status]],
    *,
    console: Console,
    interval: float,
    iterations: int | None = None,
) -> None:
    """Redraw in place every `interval` seconds; a failed fetch shows one line and retries.

    `iterations` bounds the loop (tests); None runs until interrupted.
    """
    last: Status | None = None
    with Live(console=console, auto_refresh=False, transient=False) as live:
        count = 0
        while iterations is None or count < iterations:
            count += 1
            try:
                last = await fetch()
                view: RenderableType = Group(
                    status_view(last),
                    Text(f"refreshing every {interval:g}s; Ctrl-C to stop", style="dim"),
                )
            except CanaryError as exc:
                problem = Text(f"{exc}; retrying every {interval:g}s", style="bold red")
                view = (
                    problem
                    if last is None
                    else Group(problem, Text("last known:"), status_view(last))
                )
            live.update(view, refresh=True)
            if iterations is not None and count >= iterations:
                break
            await asyncio.sleep(interval)
