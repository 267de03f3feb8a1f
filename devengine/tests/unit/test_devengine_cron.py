"""Timer texts Zeebe accepts: six-field Spring-style cron, ISO repeating intervals and dates."""

import pytest
from zeebe_devengine.bpmn.cron import Cron
from zeebe_devengine.bpmn.timers import parse_cycle, parse_date_ms, utc_text
from zeebe_devengine.errors import InvalidArgumentError

MONDAY_NOON = parse_date_ms("2026-06-01T12:00:00Z")  # a Monday


@pytest.mark.parametrize(
    ("expression", "next_fire"),
    [
        ("0 0 9 * * MON-FRI", "2026-06-02T09:00:00+00:00"),
        ("*/15 * * * * *", "2026-06-01T12:00:15+00:00"),
        ("0 30 12 * * ?", "2026-06-01T12:30:00+00:00"),
        ("0 0 0 1 JAN,JUL *", "2026-07-01T00:00:00+00:00"),
        ("0 0 8 ? * SUN", "2026-06-07T08:00:00+00:00"),
        ("0 0 6-18/6 * * *", "2026-06-01T18:00:00+00:00"),
    ],
)
def test_cron_expressions_fire_at_the_next_matching_second(expression: str, next_fire: str) -> None:
    assert utc_text(Cron.parse(expression).next_after(MONDAY_NOON)) == next_fire


@pytest.mark.parametrize(
    "expression", ["0 0 9 * *", "0 61 * * * *", "0 0 9 * * FUNDAY", "@daily", "0 0 9 L * *"]
)
def test_invalid_cron_expressions_are_refused(expression: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_cycle(expression)


def test_repeating_intervals_count_and_start() -> None:
    three = parse_cycle("R3/PT10M")
    assert (three.repetitions, three.interval_ms) == (3, 600_000)
    assert three.first_due(MONDAY_NOON) == MONDAY_NOON + 600_000
    forever = parse_cycle("R/2026-06-02T00:00:00Z/PT1H")
    assert forever.repetitions == -1
    assert utc_text(forever.first_due(MONDAY_NOON)) == "2026-06-02T01:00:00+00:00"


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-06-01T14:00:00+02:00", "2026-06-01T12:00:00+00:00"),
        ("2026-06-01T14:00:00[Europe/Berlin]", "2026-06-01T12:00:00+00:00"),
        ("2026-06-01T12:00:00Z", "2026-06-01T12:00:00+00:00"),
    ],
)
def test_dates_need_an_offset_or_a_zone(text: str, utc: str) -> None:
    assert utc_text(parse_date_ms(text)) == utc


@pytest.mark.parametrize(
    "text", ["2026-06-01T12:00:00", "tomorrow", "2026-06-01T12:00:00[Mars/Olympus]"]
)
def test_dates_without_offset_or_with_unknown_zones_are_refused(text: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_date_ms(text)
