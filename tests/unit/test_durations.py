"""One duration grammar: settings and command-line spans read the same words."""

from datetime import timedelta

import pytest

from workers.durations import duration_seconds, parse_span
from workers.errors import ConfigError, InputError
from workers.settings import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("250ms", 0.25), ("30s", 30.0), ("1.5m", 90.0), ("2h", 7200.0), ("1d", 86_400.0),
     ("2w", 1_209_600.0), (" 30 s ", 30.0)],
)  # fmt: skip
def test_settings_and_spans_read_the_same_units(text, seconds):
    assert duration_seconds(text) == seconds
    assert parse_duration(text, name="X") == seconds
    assert parse_span(text, flag="--since") == timedelta(seconds=seconds)


def test_a_bare_number_is_seconds_for_a_setting_but_not_a_span():
    assert parse_duration("30", name="X") == 30.0
    with pytest.raises(InputError, match=r"--since '30' is not a duration \(examples: 90s"):
        parse_span("30", flag="--since")


@pytest.mark.parametrize(
    "text",
    # Arabic-Indic, fullwidth and superscript digits and `_`: float() reads some of them, so a
    # bare `\d` let Arabic-Indic `5h` through as five hours. Durations read ASCII decimals only.
    ["soon", "5 minutes", "-1s", "1y", "",
     "\u0665h", "\uff15m", "3\u0660s", "\u00b2s", "1.\u0665h", "1_0s"],
)  # fmt: skip
def test_words_outside_the_grammar_fail_with_each_callers_wording(text):
    assert duration_seconds(text) is None
    with pytest.raises(ConfigError, match=r"is not a duration \(examples: 30s, 250ms, 5m\)"):
        parse_duration(text, name="CANARY_CONFIG_REFRESH")
    with pytest.raises(InputError, match=r"--older-than .* is not a duration"):
        parse_span(text, flag="--older-than")


def test_a_span_must_be_positive_and_within_ten_years():
    with pytest.raises(InputError, match="--since must be longer than 0"):
        parse_span("0s", flag="--since")
    with pytest.raises(InputError, match="longer than ten years"):
        parse_span("600w", flag="--since")
    with pytest.raises(InputError, match="longer than ten years"):
        parse_span("99999999999w", flag="--since")
