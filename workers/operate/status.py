"""`canary status`: where the instances of each version are right now, as Operate counts them.

Numbers come from the Camunda REST API (element-instance statistics of every deployed version
of the process, summed, and the incident search); the rate and strategy from Postgres. The
element ids are the model's, named in `workers.process`:

- ``verify_task(v)``: the verify task of each version (active, completed, incidents);
- ``rejected_end(v)``: the end of its IDENTITY_REJECTED boundary path;
- ``unreadable_end(v)``: the end of its DOCUMENT_UNREADABLE boundary path;
- ``CHOOSE_VERSION``: the routing task.

This module collects; `status_view` renders.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workers import process
from workers.operate.camunda_rest import (
    CamundaRestClient,
    ElementStatistics,
    Incident,
    ProcessDefinition,
)
from workers.routing import DEFAULT_BASELINE, DEFAULT_CANARY, Version


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
    #: The rollout's (baseline, canary) pair, in that order.
    versions: dict[Version, VersionStatus]
    routing_active: int
    routing_incidents: int
    #: Open incidents anywhere in the process, and the newest of them.
    incident_total: int
    incidents: list[Incident]
    fetched_at: datetime

    @property
    def pair(self) -> tuple[Version, Version]:
        baseline, canary = self.versions
        return baseline, canary

    def to_json(self) -> dict[str, Any]:
        return {
            "process_id": self.process_id,
            "rollout": self.rollout,
            "rate": self.rate,
            "baseline_version": self.pair[0],
            "canary_version": self.pair[1],
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
    versions: tuple[Version, Version] = (DEFAULT_BASELINE, DEFAULT_CANARY),
    process_id: str = process.PROCESS_ID,
    incident_limit: int = 10,
) -> Status:
    """Counts of the rollout's two `versions` (baseline, canary): their verify tasks' elements."""
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
                active=stat(process.verify_task(v)).active,
                completed=stat(process.verify_task(v)).completed,
                rejected=stat(process.rejected_end(v)).completed,
                unreadable=stat(process.unreadable_end(v)).completed,
                incidents=stat(process.verify_task(v)).incidents,
            )
            for v in versions
        },
        routing_active=stat(process.CHOOSE_VERSION).active,
        routing_incidents=stat(process.CHOOSE_VERSION).incidents,
        incident_total=incident_total,
        incidents=incidents,
        fetched_at=datetime.now(UTC),
    )
