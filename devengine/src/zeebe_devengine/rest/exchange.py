"""What every resource's handlers share: the JSON body, a key from the path, a search page."""

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from zeebe_devengine.errors import InvalidArgumentError, NotFoundError
from zeebe_devengine.rest.filters import FieldSpec, check_fields, field_filter, sort_fields
from zeebe_devengine.rest.query import paginate, parse_page, sort_items

SEARCH_PROPERTIES = frozenset({"filter", "page", "sort"})
T = TypeVar("T")


async def read_body(request: web.Request, allowed: set[str] | frozenset[str]) -> dict[str, Any]:
    """The request's JSON object (empty body: ``{}``); unknown properties are a 400."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        msg = "The request body is not valid JSON"
        raise InvalidArgumentError(msg) from None
    if not isinstance(body, dict):
        msg = "The request body must be a JSON object"
        raise InvalidArgumentError(msg)
    unknown = set(body) - allowed
    if unknown:
        msg = f"The request property(ies) {', '.join(sorted(unknown))} are not supported"
        raise InvalidArgumentError(msg)
    return body


def path_key(request: web.Request, name: str = "key") -> int:
    text = request.match_info[name]
    # isascii: "²" is a digit to str.isdigit() but int() refuses it.
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        msg = f"The key '{text}' is not a valid key (a string of digits)"
        raise InvalidArgumentError(msg)
    return int(text)


async def command_key(request: web.Request) -> int:
    """The path's key of a command whose body holds at most an ``operationReference``."""
    key = path_key(request)
    body = await read_body(request, {"operationReference"})
    reference = body.get("operationReference")
    if reference is not None and (
        isinstance(reference, bool) or not isinstance(reference, int) or reference < 1
    ):
        msg = "The property 'operationReference' expects a positive integer"
        raise InvalidArgumentError(msg)
    return key


def by_path_key(request: web.Request, items: Mapping[int, T], what: str) -> T:
    """The item the path's key names, or a 404 saying which ``what`` was not found."""
    key = path_key(request)
    item = items.get(key)
    if item is None:
        msg = f"{what} with key '{key}' not found"
        raise NotFoundError(msg)
    return item


def search_page(
    body: dict[str, Any],
    items: list[Any],
    fields: dict[str, FieldSpec],
    shape: Callable[[Any], dict[str, Any]],
) -> web.Response:
    """Sort, paginate and shape a search's matches into ``{"items", "page"}``."""
    page = parse_page(body.get("page"))
    ordered = sort_items(items, body.get("sort"), sort_fields(fields))
    selected, info = paginate(ordered, page)
    return web.json_response({"items": [shape(item) for item in selected], "page": info})


def field_search(
    body: dict[str, Any],
    items: Iterable[Any],
    fields: dict[str, FieldSpec],
    shape: Callable[[Any], dict[str, Any]],
) -> web.Response:
    """A search whose filter properties are all plain fields of `fields`."""
    spec = check_fields(body.get("filter"), set(fields))
    matching = [item for item in items if field_filter(item, spec, fields)]
    return search_page(body, matching, fields, shape)
