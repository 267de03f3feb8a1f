"""Camunda REST v2 filter properties, sorting and pagination, as the dev engine applies them."""

import re
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


# The spec's StartCursor/EndCursor pattern: standard base64 with its padding.
_SPEC_CURSOR = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")


@pytest.mark.parametrize("offset", [0, 1, 99, 12_345])
def test_cursors_are_standard_padded_base64(offset: int) -> None:
    _, info = paginate(list(range(20_000)), parse_page({"from": offset, "limit": 7}))
    for cursor in (info["startCursor"], info["endCursor"]):
        assert _SPEC_CURSOR.fullmatch(cursor), cursor
        assert len(cursor) % 4 == 0


@pytest.mark.parametrize(
    "cursor", ["b2Zmc2V0OjA", "b2Zmc2V0OjA=x", "not base64!", "", "aGVsbG8=", 17, None, ["x"]]
)
def test_malformed_or_foreign_cursors_are_bad_requests(cursor: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="cursor"):
        parse_page({"after": cursor})


def test_a_sort_field_of_the_wrong_type_is_a_bad_request() -> None:
    with pytest.raises(InvalidArgumentError, match="sort"):
        sort_items([1, 2], [{"field": ["version"]}], {"version": lambda item: item})
