"""FEEL's core: literals, operators, names and paths, null semantics, and what it refuses."""

from typing import Any

import pytest
from zeebe_devengine.errors import FeelSyntaxError
from zeebe_devengine.feel.evaluate import evaluate, lookup_in
from zeebe_devengine.feel.parser import parse


def value(text: str, **variables: Any) -> Any:
    return evaluate(parse(text), lookup_in(variables)).value


def warnings(text: str, **variables: Any) -> list[str]:
    return evaluate(parse(text), lookup_in(variables)).warnings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("2.5", 2.5),
        ('"verify"', "verify"),
        ('"say \\"hi\\"\\n"', 'say "hi"\n'),
        ('"\\u00e9"', "é"),
        ("true", True),
        ("false", False),
        ("null", None),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("2 ** 10", 1024),
        ("-3 + 1", -2),
        ("10 - 2 - 3", 5),
        ('"v" + "2"', "v2"),
        ("0.1 + 0.2 = 0.3", True),
        ("2 = 2.0", True),
        ("1 < 2 and 2 <= 2 and 3 > 2 and 3 >= 3", True),
        ('"abc" < "abd"', True),
        ("1 != 2", True),
        ("not(true)", False),
        ("not(1 > 2) or false", True),
    ],
)
def test_literals_operators_and_precedence(text: str, expected: Any) -> None:
    assert value(text) == expected


def test_names_and_dotted_paths_read_variables() -> None:
    assert value("useVersion = 2", useVersion=2) is True
    assert value("applicant.address.city", applicant={"address": {"city": "Lyon"}}) == "Lyon"
    assert value("rate * 100", rate=0.25) == 25


def test_whole_results_come_back_as_ints_and_fractions_as_floats() -> None:
    assert isinstance(value("4 / 2"), int)
    assert isinstance(value("5 / 2"), float)


def test_missing_variable_is_null_with_a_warning() -> None:
    assert value("missing") is None
    assert warnings("missing") == ["[NO_VARIABLE_FOUND] No variable found with name 'missing'"]


def test_comparing_different_types_is_null_not_false() -> None:
    assert value("useVersion = 2", useVersion="2") is None
    assert warnings("useVersion = 2", useVersion="2") == [
        "[NOT_COMPARABLE] Can't compare '\"2\"' with '2'"
    ]
    assert value("x > 10", x="bar") is None


def test_null_equality_follows_feel() -> None:
    assert value("null = null") is True
    assert value("x = null", x=1) is False
    assert value("missing = 2") is False  # null = 2 is false, not null
    assert value("missing > 2") is None  # but null is not ordered


def test_three_valued_logic() -> None:
    assert value("false and missing") is False
    assert value("true and missing") is None
    assert value("true or missing") is True
    assert value("false or missing") is None
    assert value("1 and true") is None  # non-booleans count as null
    assert value("not(1)") is None


def test_bad_arithmetic_is_null_with_a_warning() -> None:
    assert value("1 / 0") is None
    assert value('1 + "a"') is None
    assert value("-x", x="a") is None
    assert value("10 ** 1000000") is None  # beyond FEEL's number range
    assert all(w.startswith("[INVALID_TYPE]") for w in warnings('1 + "a"'))


def test_missing_context_entry_is_null_with_the_available_keys() -> None:
    assert value("a.x", a={"b": 1}) is None
    assert warnings("a.x", a={"b": 1}) == [
        "[NO_CONTEXT_ENTRY_FOUND] No context entry found with key 'x'. Available keys: 'b'"
    ]


def test_lists_and_contexts_compare_by_content() -> None:
    assert value("a = b", a=[1, {"c": 2}], b=[1, {"c": 2}]) is True
    assert value("a = b", a=[1, 2], b=[1, 3]) is False
    assert value("a.c", a=[{"c": 1}, {"c": 2}]) == [1, 2]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1 +",
        "(1",
        "1 < 2 < 3",
        "a..b",
        '"open',
        "and x",
        "[1, 2",
        "{a 1}",
        "if x then 1",
        "x instance of foo",
    ],
)
def test_malformed_expressions_are_refused(text: str) -> None:
    with pytest.raises(FeelSyntaxError):
        parse(text)


def test_deep_nesting_is_refused_instead_of_exhausting_the_stack() -> None:
    with pytest.raises(FeelSyntaxError, match="nested deeper"):
        parse("(" * 500 + "1" + ")" * 500)
    with pytest.raises(FeelSyntaxError, match="nested deeper"):
        parse("-" * 500 + "1")
