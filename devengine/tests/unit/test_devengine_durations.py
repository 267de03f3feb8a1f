"""ISO-8601 durations for timers."""

import pytest
from zeebe_devengine.bpmn.durations import parse_duration_ms
from zeebe_devengine.errors import InvalidArgumentError


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("PT30S", 30_000),
        ("PT0.5S", 500),
        ("PT1M30S", 90_000),
        ("PT2H", 7_200_000),
        ("P1DT2H", 93_600_000),
        ("P2W", 1_209_600_000),
        ("PT0S", 0),
        (" PT1S ", 1_000),
    ],
)
def test_durations_in_milliseconds(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("P", "not an ISO-8601 duration"),
        ("PT", "not an ISO-8601 duration"),
        ("P1DT", "not an ISO-8601 duration"),
        ("-PT5S", "not an ISO-8601 duration"),
        ("5 seconds", "not an ISO-8601 duration"),
        ("R3/PT1M", "not an ISO-8601 duration"),
        ("P1Y", "years or months"),
        ("P3M", "years or months"),
        ("PT999999999999H", "longer than"),
    ],
)
def test_invalid_or_calendar_durations_are_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidArgumentError, match=reason):
        parse_duration_ms(text)
