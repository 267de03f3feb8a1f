"""Starting identity-verification instances with synthetic applicants (demo and load tests).

The applicants are invented: names from a short fixed list, dates and document numbers from a
seeded generator. Nothing here is anyone's personal data, yet the workers treat it as if it
were (it is redacted from logs like the real thing).
"""

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from pyzeebe import ZeebeClient
from pyzeebe.errors import PyZeebeError

from workers import process

log = structlog.get_logger(__name__)

_GIVEN = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia")
_FAMILY = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson")
_DOCUMENTS = ("passport", "id_card", "driving_licence")
_COUNTRIES = ("GB", "FR", "DE", "NL", "ES", "IT", "SE", "PL")


def synthetic_applicant(rng: random.Random, number: int, *, prefix: str) -> dict[str, Any]:
    """The variables of one instance: a made-up applicant with a made-up document."""
    return {
        process.APPLICANT_ID: f"{prefix}-{number:07d}",
        process.APPLICANT: {
            "givenName": rng.choice(_GIVEN),
            "familyName": rng.choice(_FAMILY),
            "dateOfBirth": (
                f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            ),
        },
        process.DOCUMENT: {
            "type": rng.choice(_DOCUMENTS),
            "number": f"{rng.randint(0, 10**9 - 1):09d}",
            "country": rng.choice(_COUNTRIES),
        },
    }


@dataclass(slots=True)
class LoadStats:
    started: int = 0
    failed: int = 0
    keys: list[int] = field(default_factory=list)


async def start_instances(
    client: ZeebeClient,
    *,
    count: int | None,
    per_second: float,
    seed: int | None = None,
    prefix: str = "APP",
    process_id: str = process.PROCESS_ID,
    on_started: Callable[[int, dict[str, Any]], None] | None = None,
    stop: asyncio.Event | None = None,
    tenant_id: str | None = None,
) -> LoadStats:
    """Start `count` instances (None: until `stop` is set) at `per_second`, paced evenly.

    A failed start is logged and counted, never retried blindly: the gateway may have created
    the instance before the answer was lost.
    """
    if per_second <= 0:
        msg = "per_second must be greater than 0"
        raise ValueError(msg)
    stop = stop or asyncio.Event()
    rng = random.Random(seed)
    stats = LoadStats()
    started_at = time.monotonic()
    number = 0
    while (count is None or number < count) and not stop.is_set():
        number += 1
        variables = synthetic_applicant(rng, number, prefix=prefix)
        try:
            response = await client.run_process(
                process_id, variables=variables, tenant_id=tenant_id
            )
        except PyZeebeError as exc:
            stats.failed += 1
            log.warning("could not start an instance", error=type(exc).__name__)
        else:
            stats.started += 1
            stats.keys.append(response.process_instance_key)
            if on_started is not None:
                on_started(response.process_instance_key, variables)
        # Pace against the schedule, not the previous call, so slow calls do not lower the rate.
        delay = started_at + number / per_second - time.monotonic()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    return stats
