"""Spring-style cron expressions, as Zeebe accepts them in ``timeCycle``.

Six fields: second, minute, hour, day of month, month, day of week. Each field is ``*``,
``?`` (day fields), a number or name (``MON``, ``JAN``), a range ``a-b``, a step ``*/n`` or
``a-b/n`` or ``a/n``, or a comma-separated list of those. Times are UTC, as the engine's
clock is. Macros (``@daily``) and the ``L``/``W``/``#`` forms are refused.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from zeebe_devengine.errors import InvalidArgumentError

_DAYS = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
_MONTHS = {
    name: index
    for index, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        start=1,
    )
}
#: (low, high, names) per field: second, minute, hour, day of month, month, day of week.
_FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, _MONTHS),
    (0, 7, _DAYS),
)
#: Searching further than this for the next match means the expression never matches.
_SEARCH_LIMIT_DAYS = 366 * 5
_FIELD_COUNT = 6


def _value(text: str, names: dict[str, int], expression: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        msg = f"'{expression}' is not a cron expression: '{text}' is not a number or name"
        raise InvalidArgumentError(msg)
    return int(text)


def _field(
    text: str, low: int, high: int, names: dict[str, int], expression: str
) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        body, _, step_text = item.partition("/")
        step = _value(step_text, {}, expression) if step_text else 1
        if body in {"*", "?"}:
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _value(first, names, expression), _value(last, names, expression)
        else:
            start = _value(body, names, expression)
            end = high if step_text else start
        if not low <= start <= end <= high or step < 1:
            msg = f"'{expression}' is not a cron expression: '{item}' is out of range"
            raise InvalidArgumentError(msg)
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True, slots=True)
class Cron:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> "Cron":
        parts = expression.split()
        if len(parts) != _FIELD_COUNT:
            msg = (
                f"'{expression}' is not a cron expression: expected 6 fields "
                "(second minute hour day-of-month month day-of-week)"
            )
            raise InvalidArgumentError(msg)
        fields = [
            _field(part, low, high, names, expression)
            for part, (low, high, names) in zip(parts, _FIELDS, strict=True)
        ]
        weekdays = frozenset(day % 7 for day in fields[5])
        return cls(
            seconds=fields[0],
            minutes=fields[1],
            hours=fields[2],
            days=fields[3],
            months=fields[4],
            weekdays=weekdays,
            any_day=parts[3] in {"*", "?"},
            any_weekday=parts[5] in {"*", "?"},
        )

    def _day_matches(self, moment: datetime) -> bool:
        if moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day:
            return weekday_ok
        if self.any_weekday:
            return day_ok
        return day_ok and weekday_ok

    def next_after(self, epoch_ms: int) -> int:
        """The first matching second strictly after `epoch_ms`."""
        moment = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC) + timedelta(seconds=1)
        limit = moment + timedelta(days=_SEARCH_LIMIT_DAYS)
        while moment < limit:
            if not self._day_matches(moment):
                moment = moment.replace(hour=0, minute=0, second=0) + timedelta(days=1)
            elif moment.hour not in self.hours:
                moment = moment.replace(minute=0, second=0) + timedelta(hours=1)
            elif moment.minute not in self.minutes:
                moment = moment.replace(second=0) + timedelta(minutes=1)
            elif moment.second not in self.seconds:
                moment += timedelta(seconds=1)
            else:
                return int(moment.timestamp() * 1000)
        msg = "the cron expression never matches"
        raise InvalidArgumentError(msg)
