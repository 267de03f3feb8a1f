"""FEEL's language forms, each with Camunda's documented examples and null paths."""

import datetime as dt
import re
from typing import Any

import pytest
from zeebe_devengine.errors import FeelSyntaxError
from zeebe_devengine.feel.evaluate import evaluate, lookup_in, matches
from zeebe_devengine.feel.parser import parse, parse_unary_tests
from zeebe_devengine.feel.values import from_json

FIXED = dt.datetime(2020, 7, 31, 14, 27, 30, tzinfo=dt.UTC)


def value(text: str, **variables: Any) -> Any:
    return evaluate(parse(text), lookup_in(variables), clock=lambda: FIXED).value


def warnings(text: str, **variables: Any) -> Any:
    return evaluate(parse(text), lookup_in(variables)).warnings


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ('if x > 5 then "high" else "low"', {"x": 7}, "high"),
        ('if x > 5 then "high" else "low"', {"x": 3}, "low"),
        # a null or non-boolean condition takes the else branch
        ('if x > 5 then "high" else "low"', {}, "low"),
        ('if "yes" then 1 else 2', {}, 2),
        ("for i in [1, 2, 3] return i * 2", {}, [2, 4, 6]),
        ("for i in 1..3 return i", {}, [1, 2, 3]),
        ("for i in 3..1 return i", {}, [3, 2, 1]),
        ("for x in [1, 2], y in [3, 4] return x * y", {}, [3, 4, 6, 8]),
        ("for i in 0..4 return if i = 0 then 1 else i * partial[-1]", {}, [1, 1, 2, 6, 24]),
        ("for x in [] return x", {}, []),
        ("for i in [1..3] return i", {}, [1, 2, 3]),
        ("for i in (1..4) return i", {}, [2, 3]),
        ("some x in [1, 2, 3] satisfies x > 2", {}, True),
        ("some x in [1, 2, 3] satisfies x > 3", {}, False),
        ("every x in [1, 2, 3] satisfies x >= 1", {}, True),
        ("every x in [1, 2, 3] satisfies x >= 2", {}, False),
        ("some x in [1, 2], y in [2, 3] satisfies x = y", {}, True),
        ("every x in [] satisfies x > 0", {}, True),
    ],
)
def test_textual_constructs(text: str, variables: Any, expected: Any) -> None:
    assert value(text, **variables) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 in [1..10]", True),
        ("5 in (5..10]", False),
        ("5 in [1..5)", False),
        ("5 in ]1..5[", False),
        ("10 in [1..10]", True),
        ("5 in (1, 3, 5)", True),
        ("5 in (1, 3)", False),
        ("5 in < 10", True),
        ("5 in (< 2, > 4)", True),
        ("5 in [1, 2, 5]", True),
        ('"b" in ["a", "b"]', True),
        ("x in [1..3]", None),
        ("5 between 1 and 10", True),
        ("0 between 1 and 10", False),
        ('"b" between "a" and "c"', True),
        ('@"2021-06-01" in [@"2021-01-01"..@"2021-12-31"]', True),
    ],
)
def test_in_and_between(text: str, expected: Any) -> None:
    assert value(text) == expected


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("[1, 2, 3]", {}, [1, 2, 3]),
        ("[]", {}, []),
        ('{a: 1, "b c": 2}', {}, {"a": 1, "b c": 2}),
        ("{a: 1, b: a + 1}", {}, {"a": 1, "b": 2}),
        ("{a: {b: 3}}.a.b", {}, 3),
        ("{}", {}, {}),
        ("[1, 2, 3, 4][item > 2]", {}, [3, 4]),
        ("[1, 2, 3, 4][item > 10]", {}, []),
        ("[1, 2, 3][1]", {}, 1),
        ("[1, 2, 3][-1]", {}, 3),
        ("[1, 2, 3][4]", {}, None),
        ("[{a: 1}, {a: 2}][a > 1]", {}, [{"a": 2}]),
        ("[{a: 1}, {a: 2}][item.a = 1].a", {}, [1]),
        (
            "orders[amount > 10].id",
            {"orders": [{"id": 1, "amount": 5}, {"id": 2, "amount": 20}]},
            [2],
        ),
        ("orders.id", {"orders": [{"id": 1}, {"id": 2}]}, [1, 2]),
        ("orders[1].id", {"orders": [{"id": 7}]}, 7),
        ("x[1]", {"x": 5}, 5),  # a single value filters like a list of one
        ("`first name`", {"first name": "Ada"}, "Ada"),
        ("{`a b`: 1}.`a b`", {}, 1),
        ("1 + /* two */ 2 // and a comment", {}, 3),
    ],
)
def test_lists_contexts_filters_and_paths(text: str, variables: Any, expected: Any) -> None:
    assert value(text, **variables) == expected


def test_projection_over_missing_entries_is_null_per_item() -> None:
    assert value("xs.a", xs=[{"a": 1}, {"b": 2}]) == [1, None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 instance of number", True),
        ('"a" instance of string', True),
        ("true instance of boolean", True),
        ("[1] instance of list", True),
        ("{a: 1} instance of context", True),
        ('@"2021-01-01" instance of date', True),
        ('@"10:00:00" instance of time', True),
        ('@"2021-01-01T10:00:00" instance of date and time', True),
        ('@"P1D" instance of days and time duration', True),
        ('@"P1Y" instance of years and months duration', True),
        ("null instance of Null", True),
        ("1 instance of Any", True),
        ("null instance of Any", False),
        ('"1" instance of number', False),
        ("(function(x) x) instance of function", True),
    ],
)
def test_instance_of(text: str, expected: Any) -> None:
    assert value(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(function(a, b) a + b)(1, 2)", 3),
        ("{f: function(x) x * 2, r: f(3)}.r", 6),
        ("{f: function(a, b) a - b}.f(b: 1, a: 5)", 4),
        ('substring(string: "foobar", start position: 3)', "obar"),
        ('get or else(value: null, default: "x")', "x"),
    ],
)
def test_functions_with_positional_and_named_arguments(text: str, expected: Any) -> None:
    assert value(text) == expected


def test_unknown_functions_and_wrong_arguments_are_null_with_a_warning() -> None:
    assert value("nonexistent(1)") is None
    assert warnings("nonexistent(1)") == [
        "[NO_FUNCTION_FOUND] No function found with name 'nonexistent' and 1 parameters"
    ]
    assert value('substring("abc", "x")') is None
    assert warnings('substring("abc", "x")')[0].startswith(
        "[FUNCTION_INVOCATION_FAILURE] Failed to invoke function 'substring'"
    )
    assert value("not(1, 2)") is None  # parses (a call), but no overload takes two arguments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('date("2021-01-31") + duration("P1M")', "2021-02-28"),
        ('date("2021-01-01") + duration("P1D")', "2021-01-02"),
        ('date("2021-01-10") - date("2021-01-01")', "P9D"),
        ('date and time("2021-01-01T10:00:00") + duration("PT36H")', "2021-01-02T22:00:00"),
        ('date and time("2021-01-02T00:00:00") - date and time("2021-01-01T12:00:00")', "PT12H"),
        ('time("10:00:00") + duration("PT3H")', "13:00:00"),
        ('time("23:00:00") + duration("PT2H")', "01:00:00"),
        ('time("12:00:00") - time("10:30:00")', "PT1H30M"),
        ('duration("P1D") + duration("PT12H")', "P1DT12H"),
        ('duration("P1Y") + duration("P2M")', "P1Y2M"),
        ('duration("PT2H") * 3', "PT6H"),
        ('duration("P1D") / duration("PT1H")', 24),
        ('duration("P1Y") / 2', "P6M"),
        ('-duration("P1D")', "-P1D"),
        ('@"2019-01-01T10:00:00+01:00"', "2019-01-01T10:00:00+01:00"),
        ('@"2019-01-01T10:00:00Z"', "2019-01-01T10:00:00Z"),
        ('@"2019-01-01T10:00:00@Europe/Berlin"', "2019-01-01T10:00:00@Europe/Berlin"),
    ],
)
def test_temporal_arithmetic(text: str, expected: Any) -> None:
    assert value(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('date("2021-01-01") < date("2021-01-02")', True),
        ('date("2021-01-01") = @"2021-01-01"', True),
        ('time("10:00:00") > time("09:00:00")', True),
        ('duration("P1D") > duration("PT23H")', True),
        ('duration("P1Y") = duration("P12M")', True),
        ('@"2021-01-01T10:00:00+01:00" = @"2021-01-01T09:00:00Z"', True),
        ('date("2021-01-01") < 5', None),
        ('@"2021-01-01T10:00:00" < @"2021-01-01T10:00:00Z"', None),  # local vs zoned
    ],
)
def test_temporal_comparison(text: str, expected: Any) -> None:
    assert value(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('date("2019-09-17").year', 2019),
        ('date("2019-09-17").month', 9),
        ('date("2019-09-17").day', 17),
        ('date("2019-09-17").weekday', 2),
        ('time("10:20:30+02:00").hour', 10),
        ('time("10:20:30+02:00").second', 30),
        ('time("10:20:30+02:00").time offset', "PT2H"),
        ('date and time("2019-09-17T10:20:30@Europe/Paris").timezone', "Europe/Paris"),
        ('duration("P2DT3H4M5S").hours', 3),
        ('duration("P2DT3H4M5S").days', 2),
        ('duration("P1Y6M").years', 1),
        ('duration("P1Y6M").months', 6),
        ("[1..5].start", 1),
        ("[1..5).end included", False),
    ],
)
def test_properties_of_temporal_values_and_ranges(text: str, expected: Any) -> None:
    assert value(text) == expected


def test_invalid_temporal_text_is_null_with_a_warning_or_refused_as_a_literal() -> None:
    assert value('date("2021-13-45")') is None
    assert warnings('date("nope")')[0].startswith("[FUNCTION_INVOCATION_FAILURE]")
    with pytest.raises(FeelSyntaxError, match="invalid temporal literal"):
        parse('@"not a date"')


def test_now_and_today_read_the_clock_given_to_the_evaluation() -> None:
    assert value("now()") == "2020-07-31T14:27:30Z"
    assert value("today()") == "2020-07-31"
    assert value('today() - date("2020-07-01")') == "P30D"


def test_now_defaults_to_the_system_clock() -> None:
    before = dt.datetime.now(dt.UTC).date()
    result = evaluate(parse("today()"), lookup_in({})).value
    assert result in {before.isoformat(), (before + dt.timedelta(days=1)).isoformat()}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("get or else(x, 0", "expected ')'"),
        ("if x then 1 else", "incomplete"),
        ("for x in return 1", "position"),
        ("date and time(", "incomplete"),
        ("is defined(", "incomplete"),
        ("foo bar(1)", "unexpected 'bar'"),
        ("{a: 1,}", "expected a name"),
    ],
)
def test_syntax_errors_name_the_problem_not_an_unrelated_construct(text: str, message: str) -> None:
    with pytest.raises(FeelSyntaxError, match=re.escape(message)):
        parse(text)


def test_two_word_built_ins_parse_as_one_function_name() -> None:
    # 'date and time(...)' is the function, not the conjunction 'date and time(...)'
    assert value('date and time("2021-01-01T00:00:00") instance of date and time') is True
    assert value("get or else(x, 0)") == 0
    assert value("is defined(x)") is False
    assert value("date and time", date=True, time=False) is False  # still a conjunction


# -- unary tests ----------------------------------------------------------------------------


def passes(tests: str, input_value: Any, **variables: Any) -> Any:
    warnings: list[str] = []
    return matches(parse_unary_tests(tests), from_json(input_value), lookup_in(variables), warnings)


@pytest.mark.parametrize(
    ("tests", "input_value", "expected"),
    [
        ("-", 5, True),
        ("", 5, True),
        ("5", 5, True),
        ("5", 6, False),
        ("< 10", 5, True),
        ("<= 5", 5, True),
        ("> 5", 5, False),
        (">= 5", 5, True),
        ("!= 5", 4, True),
        ("[1..5]", 5, True),
        ("[1..5)", 5, False),
        ("]1..5]", 1, False),
        ("(1..5]", 1, False),
        ('"gold", "silver"', "silver", True),
        ('"gold", "silver"', "bronze", False),
        ('not("gold")', "silver", True),
        ('not("gold", "silver")', "gold", False),
        ("not(< 5)", 7, True),
        ("? > 5 and ? < 10", 7, True),
        ("? > 5 and ? < 10", 12, False),
        ("null", None, True),
        ("null", 1, False),
        ("true", True, True),
        ("false", True, False),
        ('starts with(?, "ab")', "abc", True),
        ("[1, 2, 3]", 2, True),
        ("< limit", 5, True),
        ('>= date("2021-01-01")', None, False),
    ],
)
def test_unary_tests_as_dmn_input_entries(tests: str, input_value: Any, expected: Any) -> None:
    assert passes(tests, input_value, limit=10) is expected


def test_unary_tests_compare_temporal_inputs() -> None:
    tests = parse_unary_tests('[date("2021-01-01")..date("2021-12-31")]')
    warnings: list[str] = []
    assert matches(tests, dt.date(2021, 6, 1), lookup_in({}), warnings) is True


@pytest.mark.parametrize("tests", ["< ", "[1..", "not(1", '"a",'])
def test_malformed_unary_tests_are_refused(tests: str) -> None:
    with pytest.raises(FeelSyntaxError):
        parse_unary_tests(tests)
