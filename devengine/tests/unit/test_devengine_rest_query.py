"""Camunda REST v2 filter properties, sorting and pagination, as the dev engine applies them."""

from typing import Any

import pytest
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest.query import Kind, iso_date, matches, paginate, parse_page, sort_items


@pytest.mark.parametrize(
    ("actual", "condition", "expected"),
    [
        ("identity", "identity", True),
        ("identity", "other", False),
        ("identity", {"$eq": "identity"}, True),
        ("identity", {"$neq": "identity"}, False),
        ("identity", {"$in": ["a", "identity"]}, True),
        ("identity", {"$notIn": ["identity"]}, False),
        ("identity-verification", {"$like": "identity-*"}, True),
        ("identity", {"$like": "ident?ty"}, True),
        ("a*b", {"$like": "a\\*b"}, True),
        ("axb", {"$like": "a\\*b"}, False),
        (None, {"$exists": False}, True),
        ("x", {"$exists": False}, False),
    ],
)
def test_string_filters(actual: str | None, condition: Any, expected: bool) -> None:
    assert matches("string", actual, condition, field="f") is expected


def test_integer_and_date_ranges() -> None:
    assert matches("int", 3, {"$gte": 2, "$lt": 4}, field="version")
    assert not matches("int", 5, {"$lte": 4}, field="version")
    ms = 1_700_000_000_000
    assert matches("date", ms, {"$gt": "2023-01-01T00:00:00Z"}, field="startDate")
    assert not matches("date", ms, {"$lt": "2023-01-01T00:00:00.000Z"}, field="startDate")
    assert not matches("date", None, {"$gt": "2023-01-01T00:00:00Z"}, field="endDate")


def test_keys_are_compared_as_strings() -> None:
    assert matches("key", 2251799813685249, "2251799813685249", field="k")
    assert matches("key", 2251799813685249, {"$in": ["1", "2251799813685249"]}, field="k")


@pytest.mark.parametrize(
    ("kind", "condition"),
    [
        ("string", {"$gt": "a"}),
        ("string", 3),
        ("int", "three"),
        ("bool", "yes"),
        ("date", "yesterday"),
        ("string", {"$in": "a"}),
        ("string", {"$exists": "no"}),
    ],
)
def test_unsupported_or_malformed_filters_are_bad_requests(kind: Kind, condition: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        matches(kind, "x", condition, field="f")


def test_pages_by_offset_and_by_cursor() -> None:
    items = list(range(250))
    first, info = paginate(items, parse_page({"limit": 100}))
    assert first == list(range(100))
    assert info["totalItems"] == 250
    second, _ = paginate(items, parse_page({"limit": 100, "after": info["endCursor"]}))
    assert second[0] == 100
    back, _ = paginate(items, parse_page({"limit": 100, "before": info["endCursor"]}))
    assert back[0] == 0
    offset, _ = paginate(items, parse_page({"from": 240, "limit": 100}))
    assert offset == list(range(240, 250))
    empty, empty_info = paginate(items, parse_page({"from": 300}))
    assert empty == []
    assert empty_info["endCursor"] is None


@pytest.mark.parametrize(
    "page", [{"limit": -1}, {"limit": 10_001}, {"from": -5}, {"after": "not-ours"}, {"size": 3}, []]
)
def test_bad_pages_are_bad_requests(page: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_page(page)


def test_sorting_by_several_fields_puts_nulls_last() -> None:
    rows = [{"v": 2, "n": "b"}, {"v": None, "n": "a"}, {"v": 1, "n": "c"}, {"v": 2, "n": "a"}]
    fields = {"v": lambda r: r["v"], "n": lambda r: r["n"]}
    ordered = sort_items(rows, [{"field": "v", "order": "DESC"}, {"field": "n"}], fields)
    assert [(r["v"], r["n"]) for r in ordered] == [(2, "a"), (2, "b"), (1, "c"), (None, "a")]
    with pytest.raises(InvalidArgumentError, match="needs a 'field'"):
        sort_items(rows, [{"field": "nope"}], fields)


def test_dates_are_iso_with_milliseconds_in_utc() -> None:
    assert iso_date(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"
    assert iso_date(None) is None
