"""`canary status`: where the instances of each version are right now, as Operate counts them.

Numbers come from the Camunda REST API (element-instance statistics of every deployed version
of the process, summed, and the incident search); the rate and strategy from Postgres. The
element ids are the model's (bpmn/identity-verification.bpmn):

- ``verify-identity-v1|v2``: the verify task of each version (active, completed, incidents);
- ``application-rejected-v1|v2``: IDENTITY_REJECTED boundary path;
- ``document-unreadable-v1|v2``: DOCUMENT_UNREADABLE boundary path;
- ``choose-version``: the routing task.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from workers.camunda_rest import CamundaRestClient, ElementStatistics, Incident, ProcessDefinition
from workers.errors import CanaryError
from workers.routing import VERSIONS, Version, format_rate

PROCESS_ID = "identity-verification"
CHOOSE_TASK = "choose-version"


def verify_task(version: Version) -> str:
    return f"verify-identity-v{version}"


def rejected_event(version: Version) -> str:
    return f"application-rejected-v{version}"


def unreadable_event(version: Version) -> str:
    return f"document-unreadable-v{version}"


@dataclass(frozen=True, slots=True)
class VersionStatus:
    version: Version
    #: Instances waiting in (or being worked on by) the verify task.
    active: int
    #: Verify task completed: the applicant was verified.
    completed: int
    #: Left through the IDENTITY_REJECTED boundary.
    rejected: int
    #: Left through the DOCUMENT_UNREADABLE boundary.
    unreadable: int
    #: Open incidents on the verify task.
    incidents: int


@dataclass(frozen=True, slots=True)
class Status:
    process_id: str
    rollout: str
    rate: float
    strategy: str
    definitions: list[ProcessDefinition]
    versions: dict[Version, VersionStatus]
    routing_active: int
    routing_incidents: int
    #: Open incidents anywhere in the process, and the newest of them.
    incident_total: int
    incidents: list[Incident]
    fetched_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "process_id": self.process_id,
            "rollout": self.rollout,
            "rate": self.rate,
            "strategy": self.strategy,
            "definitions": [{"key": d.key, "version": d.version} for d in self.definitions],
            "versions": {
                f"v{v}": {
                    "active": s.active,
                    "completed": s.completed,
                    "rejected": s.rejected,
                    "unreadable": s.unreadable,
                    "incidents": s.incidents,
                }
                for v, s in self.versions.items()
            },
            "routing": {"active": self.routing_active, "incidents": self.routing_incidents},
            "incident_total": self.incident_total,
            "incidents": [
                {
                    "key": i.key,
                    "error_type": i.error_type,
                    "element_id": i.element_id,
                    "process_instance_key": i.process_instance_key,
                    "job_key": i.job_key,
                    "created": i.creation_time,
                    "message": i.error_message,
                }
                for i in self.incidents
            ],
            "fetched_at": self.fetched_at.isoformat(),
        }


def sum_statistics(per_definition: list[list[ElementStatistics]]) -> dict[str, ElementStatistics]:
    """Element counts summed over every deployed version of the process."""
    totals: dict[str, ElementStatistics] = {}
    for items in per_definition:
        for item in items:
            seen = totals.get(item.element_id)
            totals[item.element_id] = (
                item
                if seen is None
                else ElementStatistics(
                    element_id=item.element_id,
                    active=seen.active + item.active,
                    canceled=seen.canceled + item.canceled,
                    incidents=seen.incidents + item.incidents,
                    completed=seen.completed + item.completed,
                )
            )
    return totals


async def collect_status(
    client: CamundaRestClient,
    *,
    rollout: str,
    rate: float,
    strategy: str,
    process_id: str = PROCESS_ID,
    incident_limit: int = 10,
) -> Status:
    definitions = await client.process_definitions(process_id)
    per_definition = await asyncio.gather(*(client.element_statistics(d.key) for d in definitions))
    totals = sum_statistics(list(per_definition))
    incidents, incident_total = await client.incidents(process_id, limit=incident_limit)
    empty = ElementStatistics("", 0, 0, 0, 0)

    def stat(element_id: str) -> ElementStatistics:
        return totals.get(element_id, empty)

    return Status(
        process_id=process_id,
        rollout=rollout,
        rate=rate,
        strategy=strategy,
        definitions=definitions,
        versions={
            v: VersionStatus(
                version=v,
                active=stat(verify_task(v)).active,
                completed=stat(verify_task(v)).completed,
                rejected=stat(rejected_event(v)).completed,
                unreadable=stat(unreadable_event(v)).completed,
                incidents=stat(verify_task(v)).incidents,
            )
            for v in VERSIONS
        },
        routing_active=stat(CHOOSE_TASK).active,
        routing_incidents=stat(CHOOSE_TASK).incidents,
        incident_total=incident_total,
        incidents=incidents,
        fetched_at=datetime.now(UTC),
    )


def status_view(status: Status) -> RenderableType:
    # Process versions (deployments of the BPMN) are not the integration's v1/v2: say so.
    deployed = ", ".join(str(d.version) for d in status.definitions) or "none"
    heading = Text()
    heading.append(f"{status.process_id}", style="bold")
    heading.append(f" (process versions deployed: {deployed})  rollout {status.rollout}: ")
    heading.append(f"{format_rate(status.rate)} to v2", style="bold")
    heading.append(f" ({status.strategy})")
    table = Table(header_style="bold")
    for header in ("integration", "active on verify", "completed", "rejected", "unreadable"):
        table.add_column(header, justify="left" if header == "integration" else "right")
    table.add_column("incidents", justify="right")
    for v in VERSIONS:
        s = status.versions[v]
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
            f"routing ({CHOOSE_TASK}): {status.routing_active:,} active,"
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
