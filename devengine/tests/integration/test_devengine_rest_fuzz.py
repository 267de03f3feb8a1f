"""A property-based fuzz of the REST port: whatever a client sends to a served route, the
answer is never a 500 and never a hang, every refusal is a problem detail, and every answer
conforms to the 8.9 spec.

Requests are drawn per served route (taken from the running app, so new endpoints are fuzzed
too): path keys that are digits, huge or not keys at all; bodies that are arbitrary JSON, raw
bytes, or objects built from the names the spec's request schema uses (filter fields, page,
sort) with arbitrary values, which reach past the first "unknown property" check.
"""

import asyncio
import functools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from api_conformance import api_spec, properties, request_schema, served_routes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zeebe_devengine import DevEngine
from zeebe_devengine.bpmn.builder import one_task_process

pytestmark = pytest.mark.engine

# Bounded so the suite stays fast: 300 requests took about 10 s on 2 busy cores.
_EXAMPLES = 300
# A request that takes longer than this is a hang (the longest legitimate wait, a job
# activation long poll, is capped at 0.5 s below).
_HANG_SECONDS = 5.0

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
path_keys = st.one_of(
    st.integers(min_value=0, max_value=2**64).map(str),
    st.sampled_from(["2251799813685249", "-1", "0x10", " 1", "1.0", "9" * 40]),
    st.text(min_size=1, max_size=12),
)


@dataclass
class Served:
    rest_url: str
    routes: list[tuple[str, str]]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """A dev engine in a thread of its own (hypothesis drives synchronous tests), with state."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        holder["stop"] = stop
        async with DevEngine(port=0, rest_port=0) as dev:
            dev.engine.deploy([("fuzz.bpmn", one_task_process("fuzz", "fuzz-job").encode())])
            holder["served"] = Served(dev.rest_url or "", served_routes(dev))
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        assert ready.wait(30), "the dev engine did not start"
        yield holder["served"]
    finally:
        loop.call_soon_threadsafe(holder["stop"].set)
        thread.join(30)
        loop.close()


@functools.cache
def request_names(method: str, template: str) -> dict[str, list[str]]:
    """The request schema's property names, each with the names of its own properties."""
    spec = api_spec().spec
    names = properties(spec, request_schema(spec, method, template))
    return {name: sorted(properties(spec, schema)) for name, schema in names.items()}


@st.composite
def spec_shaped(draw: st.DrawFn, method: str, template: str) -> Any:
    """An object made of the request schema's own property names, with arbitrary values."""
    names = request_names(method, template)
    if not names:
        return draw(json_values)
    body: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(names)), max_size=4, unique=True)):
        nested = draw(st.booleans())
        if names[name] and nested:
            keys = st.sampled_from(names[name]) | st.text(max_size=6)
            body[name] = draw(st.dictionaries(keys, json_values, max_size=3))
        else:
            body[name] = draw(json_values)
    return body


@st.composite
def requests(draw: st.DrawFn, routes: list[tuple[str, str]]) -> tuple[str, str, bytes]:
    method, template = draw(st.sampled_from(routes))
    parts = [
        quote(draw(path_keys), safe="") if part.startswith("{") else part
        for part in template.split("/")
    ]
    path = "/v2" + "/".join(parts)
    kind = draw(st.sampled_from(["shaped", "json", "bytes", "empty"]))
    if kind == "bytes":
        return method, path, draw(st.binary(max_size=48))
    if kind == "empty":
        return method, path, b""
    body = draw(spec_shaped(method, template)) if kind == "shaped" else draw(json_values)
    if template == "/jobs/activation" and isinstance(body, dict):
        body["requestTimeout"] = draw(st.integers(min_value=1, max_value=500))
    return method, path, json.dumps(body).encode()


def test_no_request_gets_a_500_a_hang_or_an_answer_outside_the_spec(served: Served) -> None:
    spec = api_spec()

    @settings(
        max_examples=_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        method, path, content = data.draw(requests(served.routes))
        response = client.request(
            method, path, content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code < 500, f"{method} {path} {content!r}: {response.text}"
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["status"] == response.status_code
            assert problem["detail"]
        problems = spec.check(response)
        assert not problems, f"{content!r}: " + "\n".join(problems)

    with httpx.Client(base_url=served.rest_url, timeout=_HANG_SECONDS) as client:
        fuzz()
