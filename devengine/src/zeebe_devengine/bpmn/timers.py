"""Timer definitions: ISO-8601 dates, durations and repeating intervals, and cron cycles.

What Zeebe accepts (Camunda 8.9, "Timer events"):
- ``timeDate``: a date-time with an offset or zone (``2026-01-01T09:00:00Z``,
  ``2026-01-01T09:00:00+01:00``, ``2026-01-01T09:00:00[Europe/Berlin]``); a date in the past
  fires at once.
- ``timeDuration``: ``PT30S``, ``P1DT2H`` (see `durations`).
- ``timeCycle``: ``R5/PT10M`` (five times), ``R/PT1H`` (forever), ``R3/<start>/PT1H``, or a
  Spring-style cron expression with six fields (``0 0 9 * * MON-FRI``), repeating forever.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zeebe_devengine.bpmn.cron import Cron
from zeebe_devengine.bpmn.durations import parse_duration_ms
from zeebe_devengine.errors import InvalidArgumentError

_REPEAT = re.compile(r"^R(?P<count>\d*)$")
_ZONED = re.compile(r"^(?P<stamp>[^\[]+)\[(?P<zone>[^\]]+)\]$")


def parse_date_ms(text: str) -> int:
    """An ISO-8601 date-time with an offset or zone, as epoch milliseconds."""
    value = text.strip()
    zone = None
    match = _ZONED.match(value)
    if match is not None:
        value = match.group("stamp")
        try:
            zone = ZoneInfo(match.group("zone"))
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"'{text}' names an unknown time zone"
            raise InvalidArgumentError(msg) from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        msg = f"'{text}' is not an ISO-8601 date-time such as 2026-01-01T09:00:00Z"
        raise InvalidArgumentError(msg) from None
    if moment.tzinfo is None:
        if zone is None:
            msg = f"'{text}' has no offset or time zone (Zeebe requires one, e.g. a trailing Z)"
            raise InvalidArgumentError(msg)
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class Cycle:
    """When a repeating timer fires: `repetitions` times (-1: forever)."""

    repetitions: int
    interval_ms: int = 0
    start_ms: int | None = None
    cron: Cron | None = None

    def first_due(self, now_ms: int) -> int:
        if self.cron is not None:
            return self.cron.next_after(now_ms)
        base = now_ms if self.start_ms is None else max(self.start_ms, now_ms)
        return base + self.interval_ms

    def next_due(self, fired_ms: int) -> int:
        if self.cron is not None:
            return self.cron.next_after(fired_ms)
        return fired_ms + self.interval_ms


def parse_cycle(text: str) -> Cycle:
    """``R[n]/[start/]duration`` or a six-field cron expression."""
    value = text.strip()
    parts = value.split("/")
    repeat = _REPEAT.match(parts[0])
    if repeat is None or len(parts) not in {2, 3}:
        if " " in value:
            return Cycle(repetitions=-1, cron=Cron.parse(value))
        msg = f"'{text}' is not a repeating interval such as R5/PT10M, nor a cron expression"
        raise InvalidArgumentError(msg)
    count = repeat.group("count")
    repetitions = int(count) if count else -1
    start_ms = parse_date_ms(parts[1]) if len(parts) == 3 else None
    interval_ms = parse_duration_ms(parts[-1])
    if interval_ms <= 0 and repetitions != 0:
        msg = f"'{text}' repeats with an empty interval"
        raise InvalidArgumentError(msg)
    return Cycle(repetitions=repetitions, interval_ms=interval_ms, start_ms=start_ms)


def utc_text(epoch_ms: int) -> str:
    """Epoch milliseconds as ISO-8601 in UTC (for messages)."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).isoformat()
