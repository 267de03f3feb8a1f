"""FEEL's built-in functions, each checked against the examples of Camunda's FEEL reference
(docs.camunda.io, "Built-in functions"), plus their null and error paths."""

import datetime as dt
import re
from typing import Any

import pytest
from zeebe_devengine.feel import names
from zeebe_devengine.feel.builtins import BUILTINS
from zeebe_devengine.feel.evaluate import evaluate, lookup_in
from zeebe_devengine.feel.parser import parse

FIXED = dt.datetime(2020, 7, 31, 14, 27, 30, tzinfo=dt.UTC)


def result(text: str, **variables: Any) -> Any:
    return evaluate(parse(text), lookup_in(variables), clock=lambda: FIXED)


# (expression, expected JSON result) straight from the documented examples
DOCUMENTED = [
    # boolean
    ("not(true)", False),
    ("not(null)", None),
    ("is defined(1)", True),
    ("is defined(null)", True),
    ("is defined(x)", False),
    ("is defined(x.y)", False),
    ('get or else("this", "default")', "this"),
    ('get or else(null, "default")', "default"),
    ("get or else(null, null)", None),
    ("assert(5, 5 > 1)", 5),
    ('is(date("2012-12-25"), time("23:00:50"))', False),
    ('is(date("2012-12-25"), date("2012-12-25"))', True),
    # string
    ('substring("foobar", 3)', "obar"),
    ('substring("foobar", 3, 3)', "oba"),
    ('substring("foobar", -2, 1)', "a"),
    ('string length("foo")', 3),
    ('upper case("aBc4")', "ABC4"),
    ('lower case("aBc4")', "abc4"),
    ('substring before("foobar", "bar")', "foo"),
    ('substring before("foobar", "xyz")', ""),
    ('substring after("foobar", "ob")', "ar"),
    ('substring after("", "a")', ""),
    ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
    ('replace("0123456789", "(\\d{3})(\\d{3})(\\d{4})", "($1) $2-$3")', "(012) 345-6789"),
    ('replace("How do you feel?", "Feel", "FEEL", "i")', "How do you FEEL?"),
    ('contains("foobar", "of")', False),
    ('contains("foobar", "ob")', True),
    ('starts with("foobar", "fo")', True),
    ('ends with("foobar", "r")', True),
    ('matches("foobar", "^fo*bar")', True),
    ('matches("FooBar", "foo", "i")', True),
    ('split("John Doe", "\\s")', ["John", "Doe"]),
    ('split("a;b;c;;", ";")', ["a", "b", "c", "", ""]),
    ('extract("references are 1234, 1256, 1378", "12[0-9]*")', ["1234", "1256"]),
    ('trim("  hello world  ")', "hello world"),
    ('to base64("FEEL")', "RkVFTA=="),
    ('is blank("")', True),
    ('is blank(" ")', True),
    ('is blank("hello world")', False),
    # numeric
    ("decimal(1/3, 2)", 0.33),
    ("decimal(1.5, 0)", 2),
    ("decimal(2.5, 0)", 2),
    ("floor(1.5)", 1),
    ("floor(-1.5)", -2),
    ("floor(-1.56, 1)", -1.6),
    ("ceiling(1.5)", 2),
    ("ceiling(-1.5)", -1),
    ("ceiling(-1.56, 1)", -1.5),
    ("round up(5.5, 0)", 6),
    ("round up(-5.5, 0)", -6),
    ("round up(1.121, 2)", 1.13),
    ("round up(-1.126, 2)", -1.13),
    ("round down(5.5, 0)", 5),
    ("round down(-5.5, 0)", -5),
    ("round down(1.121, 2)", 1.12),
    ("round down(-1.126, 2)", -1.12),
    ("round half up(5.5, 0)", 6),
    ("round half up(-5.5, 0)", -6),
    ("round half up(1.121, 2)", 1.12),
    ("round half up(-1.126, 2)", -1.13),
    ("round half down(5.5, 0)", 5),
    ("round half down(-5.5, 0)", -5),
    ("round half down(1.121, 2)", 1.12),
    ("round half down(-1.126, 2)", -1.13),
    ("abs(10)", 10),
    ("abs(-10)", 10),
    ("modulo(12, 5)", 2),
    ("modulo(-12, 5)", 3),
    ("modulo(12, -5)", -3),
    ("modulo(-12, -5)", -2),
    ("modulo(10.1, 4.5)", 1.1),
    ("modulo(-10.1, 4.5)", 3.4),
    ("modulo(10.1, -4.5)", -3.4),
    ("modulo(-10.1, -4.5)", -1.1),
    ("sqrt(16)", 4),
    ("decimal(log(10), 6)", 2.302585),
    ("decimal(exp(5), 6)", 148.413159),
    ("odd(5)", True),
    ("odd(2)", False),
    ("even(5)", False),
    ("even(2)", True),
    # list
    ("list contains([1, 2, 3], 2)", True),
    ("list contains([1, 2, null], null)", True),
    ("count([1, 2, 3])", 3),
    ("count([])", 0),
    ("count([1, [2, 3]])", 2),
    ("min([1, 2, 3])", 1),
    ("min(1, 2, 3)", 1),
    ("min([])", None),
    ("max([1, 2, 3])", 3),
    ("max(1, 2, 3)", 3),
    ("max([])", None),
    ("sum([1, 2, 3])", 6),
    ("sum(1, 2, 3)", 6),
    ("sum([])", None),
    ("product([2, 3, 4])", 24),
    ("product(2, 3, 4)", 24),
    ("mean([1, 2, 3])", 2),
    ("mean(1, 2, 3)", 2),
    ("mean([])", None),
    ("median(8, 2, 5, 3, 4)", 4),
    ("median([6, 1, 2, 3])", 2.5),
    ("median([])", None),
    ("decimal(stddev(2, 4, 7, 5), 10)", 2.0816659995),
    ("stddev([])", None),
    ("mode(6, 3, 9, 6, 6)", [6]),
    ("mode([6, 1, 9, 6, 1])", [1, 6]),
    ("mode([])", []),
    ("and([true, false])", False),
    ("and([false, null, true])", False),
    ("and([true, null, true])", None),
    ("and([])", True),
    ("and(true, false)", False),
    ("all([true, true])", True),
    ("or([false, true])", True),
    ("or([false, null, true])", True),
    ("or([false, null, false])", None),
    ("or([])", False),
    ("any([false, false])", False),
    ("sublist([1, 2, 3], 2)", [2, 3]),
    ("sublist([1, 2, 3], 1, 2)", [1, 2]),
    ("append([1], 2, 3)", [1, 2, 3]),
    ("concatenate([1, 2], [3])", [1, 2, 3]),
    ("concatenate([1], [2], [3])", [1, 2, 3]),
    ("insert before([1, 3], 1, 2)", [2, 1, 3]),
    ("remove([1, 2, 3], 2)", [1, 3]),
    ("reverse([1, 2, 3])", [3, 2, 1]),
    ("index of([1, 2, 3, 2], 2)", [2, 4]),
    ("union([1, 2], [2, 3])", [1, 2, 3]),
    ("distinct values([1, 2, 3, 2, 1])", [1, 2, 3]),
    ("duplicate values([1, 2, 3, 2, 1])", [1, 2]),
    ("flatten([[1, 2], [[3]], 4])", [1, 2, 3, 4]),
    ("sort(list: [3, 1, 4, 5, 2], precedes: function(x, y) x < y)", [1, 2, 3, 4, 5]),
    ('string join(["a", "b", "c"])', "abc"),
    ('string join(["a", "b", "c"], ", ")', "a, b, c"),
    ('string join(["a", null, "c"])', "ac"),
    ("string join([])", ""),
    ('string join(["a", "b", "c"], ", ", "[", "]")', "[a, b, c]"),
    ("is empty([])", True),
    ("is empty([1, 2, 3])", False),
    ("partition([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
    ("partition([], 2)", []),
    # context
    ('get value({foo: 123}, "foo")', 123),
    ('get value({a: {b: 1}}, ["a", "b"])', 1),
    ('get value({}, "foo")', None),
    ("get entries({foo: 123})", [{"key": "foo", "value": 123}]),
    ('context put({x: 1}, "y", 2)', {"x": 1, "y": 2}),
    ('context put({x: 1, y: 0}, "y", 2)', {"x": 1, "y": 2}),
    ('context put({x: 1, y: {z: 0}}, ["y", "z"], 2)', {"x": 1, "y": {"z": 2}}),
    ('put({x: 1}, "y", 2)', {"x": 1, "y": 2}),
    ("context merge([{x: 1}, {y: 2}])", {"x": 1, "y": 2}),
    ("context merge([{x: 1, y: 0}, {y: 2}])", {"x": 1, "y": 2}),
    ("put all({x: 1}, {y: 2})", {"x": 1, "y": 2}),
    # conversion
    ("string(1.1)", "1.1"),
    ('string(date("2012-12-25"))', "2012-12-25"),
    ("string(true)", "true"),
    ('number("1500.5")', 1500.5),
    ('number("1 000,0", " ", ",")', 1000),
    ('number("1,000.0", ",", ".")', 1000),
    ('context([{"key":"a", "value":1}, {"key":"b", "value":2}])', {"a": 1, "b": 2}),
    # temporal constructors
    ('date("2018-04-29")', "2018-04-29"),
    ('date(date and time("2012-12-25T11:00:00"))', "2012-12-25"),
    ("date(2012, 12, 25)", "2012-12-25"),
    ('time("12:00:00")', "12:00:00"),
    ('time(date and time("2012-12-25T11:00:00"))', "11:00:00"),
    ("time(23, 59, 0)", "23:59:00"),
    ('time(14, 30, 0, duration("PT1H"))', "14:30:00+01:00"),
    ('date and time("2018-04-29T09:30:00")', "2018-04-29T09:30:00"),
    ('date and time(date("2012-12-24"), time("T23:59:00"))', None),
    ('date and time(date("2012-12-24"), time("23:59:00"))', "2012-12-24T23:59:00"),
    (
        'date and time(date and time("2012-12-24T10:00:00"), time("23:59:00"))',
        "2012-12-24T23:59:00",
    ),
    ('date and time(date("2020-07-31"), "Europe/Berlin")', "2020-07-31T00:00:00@Europe/Berlin"),
    ('duration("P5D")', "P5D"),
    ('duration("P32Y")', "P32Y"),
    ('duration("PT36H")', "P1DT12H"),
    ('years and months duration(date("2011-12-22"), date("2013-08-24"))', "P1Y8M"),
    # temporal
    ("now()", "2020-07-31T14:27:30Z"),
    ("today()", "2020-07-31"),
    ('day of week(date("2019-09-17"))', "Tuesday"),
    ('day of week(date and time("2019-09-17T12:00:00"))', "Tuesday"),
    ('day of year(date("2019-09-17"))', 260),
    ('week of year(date("2019-09-17"))', 38),
    ('month of year(date("2019-09-17"))', "September"),
    ('abs(duration("-PT5H"))', "PT5H"),
    ('abs(duration("-P2M"))', "P2M"),
    ('last day of month(date("2022-10-01"))', "2022-10-31"),
    ('last day of month(date and time("2022-02-01T15:00:00"))', "2022-02-28"),
    # range
    ("before(1, 10)", True),
    ("before(10, 1)", False),
    ("before([1..5], 10)", True),
    ("before(1, [2..5])", True),
    ("before([1..5], [6..10])", True),
    ("before([1..5),[5..10])", True),
    ("after(10, 1)", True),
    ("after(12, [2..5])", True),
    ("after([6..10], [1..5])", True),
    ("after((5..10], [1..5))", True),
    ("meets([1..5], [5..10])", True),
    ("meets([1..3], [4..6])", False),
    ("meets([1..3], [3..5])", True),
    ("meets([1..5], (5..8])", False),
    ("met by([5..10], [1..5])", True),
    ("met by([3..4], [1..2])", False),
    ("met by([3..5], [1..3])", True),
    ("met by((5..8], [1..5))", False),
    ("overlaps([5..10], [1..6])", True),
    ("overlaps((3..7], [1..4])", True),
    ("overlaps([1..3], (3..6])", False),
    ("overlaps((5..8], [1..5])", False),
    ("overlaps([4..10], [1..5))", True),
    ("overlaps before([1..5], [4..10])", True),
    ("overlaps before([3..4], [1..2])", False),
    ("overlaps before([1..3], (3..5])", False),
    ("overlaps before([1..5), (3..8])", True),
    ("overlaps before([1..5), [5..10])", False),
    ("overlaps after([4..10], [1..5])", True),
    ("overlaps after([3..4], [1..2])", False),
    ("overlaps after([3..5], [1..3))", False),
    ("overlaps after((5..8], [1..5))", False),
    ("overlaps after([4..10], [1..5))", True),
    ("finishes(5, [1..5])", True),
    ("finishes(10, [1..7])", False),
    ("finishes([3..5], [1..5])", True),
    ("finishes((1..5], [1..5))", False),
    ("finishes([5..10], [1..10))", False),
    ("finished by([5..10], 10)", True),
    ("finished by([3..4], 2)", False),
    ("finished by([1..5], [3..5])", True),
    ("finished by((5..8], [1..5))", False),
    ("finished by([5..10], (1..10))", False),
    ("includes([5..10], 6)", True),
    ("includes([3..4], 5)", False),
    ("includes([1..10], [4..6])", True),
    ("includes((5..8], [1..5))", False),
    ("includes([1..10], [1..5))", True),
    ("during(5, [1..10])", True),
    ("during(12, [1..10])", False),
    ("during(1, (1..10])", False),
    ("during([4..6], [1..10))", True),
    ("during((1..5], (1..10])", True),
    ("starts(1, [1..5])", True),
    ("starts(1, (1..8])", False),
    ("starts((1..5], [1..5])", False),
    ("starts([1..10], [1..10])", True),
    ("starts((1..10), (1..10))", True),
    ("started by([1..10], 1)", True),
    ("started by((1..10], 1)", False),
    ("started by([1..10], [1..5])", True),
    ("started by((1..10], [1..5))", False),
    ("started by([1..10], [1..10))", True),
    ("coincides(5, 5)", True),
    ("coincides(3, 4)", False),
    ("coincides([1..5], [1..5])", True),
    ("coincides((1..5], [1..5))", False),
    ("coincides([1..5], [2..6])", False),
]


@pytest.mark.parametrize(("text", "expected"), DOCUMENTED)
def test_documented_examples(text: str, expected: Any) -> None:
    assert result(text).value == expected


def test_every_registered_built_in_has_a_documented_example() -> None:
    used = {name for name in BUILTINS if any(re.search(rf"\b{name}\(", t) for t, _ in DOCUMENTED)}
    untested = set(BUILTINS) - used - {"uuid", "random number"}
    assert untested == set()


def test_uuid_and_random_number_have_the_documented_shape() -> None:
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", result("uuid()").value)
    number = result("random number()").value
    assert 0 <= number < 1


@pytest.mark.parametrize(
    "text",
    [
        "upper case(5)",
        "string length(null)",
        'substring("abc", 0)',
        "sqrt(-1)",
        "log(0)",
        "modulo(1, 0)",
        'decimal(1, "a")',
        'min([1, "a"])',
        "sum([1, null])",
        "sublist([1, 2], 5)",
        "partition([1], 0)",
        'number("abc")',
        'date("2021-02-30")',
        'time("25:00:00")',
        'duration("1 day")',
        'date and time(date("2020-01-01"), "Mars/Olympus")',
        'context([{"k": 1}])',
        'matches("a", "(")',
        'matches("a", "a", "z")',
        'day of week("Monday")',
        "before(null, 1)",
        "sort([1, 2], 3)",
    ],
)
def test_invalid_arguments_give_null_and_a_warning_naming_the_function(text: str) -> None:
    outcome = result(text)
    assert outcome.value is None
    name = text.split("(", maxsplit=1)[0]
    assert outcome.warnings == [
        w for w in outcome.warnings if w.startswith("[FUNCTION_INVOCATION_FAILURE]")
    ]
    assert f"Failed to invoke function '{name}'" in outcome.warnings[0]


def test_a_failed_assert_fails_the_evaluation_instead_of_yielding_null() -> None:
    outcome = result("assert(x, x != null)", x=None)
    assert outcome.value is None
    assert outcome.failure == "Assertion failure: the condition is not fulfilled"
    outcome = result('assert(x, x > 0, "x must be positive")', x=-1)
    assert outcome.failure == "Assertion failure: x must be positive"
    assert "x must be positive" in outcome.describe_warnings()


def test_is_defined_hides_the_missing_variable_warning() -> None:
    assert result("is defined(x)").warnings == []
    assert result("is defined(x.y)", x={"z": 1}).value is False
    assert result("is defined(x.y)", x={"y": None}).value is True


def test_every_built_in_name_with_spaces_is_known_to_the_parser() -> None:
    # The parser joins the words of these names; one missing would not parse as a call.
    spaced = {name for name in BUILTINS if " " in name}
    assert spaced <= names.FUNCTIONS
