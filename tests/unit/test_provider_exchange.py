"""The shared HTTP exchange: requests in progress waited out, bodies read with a limit,
malformed replies classified as malformed (issue 16, items 5, 8 and 14)."""

import gzip
import json
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from test_verifymenow_clients import KEY, REQUEST, answer, client_for

from workers.verifymenow.errors import MalformedResponseError, ProviderStatusError
from workers.verifymenow.exchange import MAX_BODY_BYTES

APPROVED = {"id": "ver_1", "decision": "approved", "reasons": []}


def in_progress_then(done_after: int, *, retry_after: str = "0") -> tuple[list[float], Any]:
    """A provider that answers 409 request_in_progress `done_after` times, then 201."""
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        assert request.headers["Idempotency-Key"] == KEY
        if len(calls) <= done_after:
            body = {"code": "request_in_progress", "status": 409}
            return httpx.Response(409, json=body, headers={"Retry-After": retry_after})
        return httpx.Response(201, json=APPROVED)

    return calls, handler


async def test_a_request_in_progress_is_asked_again_until_the_provider_answers():
    calls, handler = in_progress_then(3)
    async with client_for(2, handler) as client:
        result = await client.verify(REQUEST, idempotency_key=KEY, deadline=time.time() + 30)
    assert result.provider_reference == "ver_1"
    assert len(calls) == 4


async def test_without_room_before_the_deadline_the_409_is_reported_as_it_came():
    calls, handler = in_progress_then(100, retry_after="5")
    async with client_for(2, handler) as client:
        with pytest.raises(ProviderStatusError) as caught:
            await client.verify(REQUEST, idempotency_key=KEY, deadline=time.time() + 2)
    assert caught.value.status == 409
    assert len(calls) == 1


async def test_without_a_deadline_a_409_is_not_waited_for():
    calls, handler = in_progress_then(1)
    async with client_for(2, handler) as client:
        with pytest.raises(ProviderStatusError):
            await client.verify(REQUEST, idempotency_key=KEY)
    assert len(calls) == 1


async def test_a_409_without_retry_after_is_not_waited_for():
    async with client_for(2, answer(409, {"code": "conflict"})) as client:
        with pytest.raises(ProviderStatusError):
            await client.verify(REQUEST, idempotency_key=KEY, deadline=time.time() + 30)


def streamed(chunks: list[bytes], **headers: str) -> Any:
    def handler(_request: httpx.Request) -> httpx.Response:
        async def body() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return httpx.Response(201, headers=headers, content=body())

    return handler


def bomb(size: int) -> list[bytes]:
    """A gzip body that expands to `size` bytes of zeros, in 16 KiB compressed chunks."""
    data = gzip.compress(b"0" * size, compresslevel=9)
    return [data[i : i + 16384] for i in range(0, len(data), 16384)]


async def test_a_gzip_bomb_is_a_malformed_response_read_no_further_than_the_limit():
    chunks = bomb(64 * MAX_BODY_BYTES)
    async with client_for(2, streamed(chunks, **{"Content-Encoding": "gzip"})) as client:
        with pytest.raises(MalformedResponseError, match="body over 1,048,576 bytes"):
            await client.verify(REQUEST, idempotency_key=KEY)


async def test_a_compressed_answer_within_the_limit_is_read():
    body = gzip.compress(json.dumps(APPROVED).encode())
    async with client_for(2, streamed([body], **{"Content-Encoding": "gzip"})) as client:
        result = await client.verify(REQUEST, idempotency_key=KEY)
    assert result.provider_reference == "ver_1"
    deflated = zlib.compress(json.dumps(APPROVED).encode())
    async with client_for(2, streamed([deflated], **{"Content-Encoding": "deflate"})) as client:
        assert (await client.verify(REQUEST, idempotency_key=KEY)).provider_reference == "ver_1"


async def test_a_plain_body_over_the_limit_is_malformed():
    chunks = [b" " * 65536] * (MAX_BODY_BYTES // 65536 + 2)
    async with client_for(2, streamed(chunks)) as client:
        with pytest.raises(MalformedResponseError, match="body over"):
            await client.verify(REQUEST, idempotency_key=KEY)


@pytest.mark.parametrize(
    ("chunks", "headers"),
    [
        ([b"\x1f\x8b not gzip at all"], {"Content-Encoding": "gzip"}),
        ([b"{}"], {"Content-Encoding": "br"}),
        ([b"[" * 100_000 + b"]" * 100_000], {}),  # nested too deeply for the JSON parser
    ],
    ids=["broken-gzip", "unasked-encoding", "deep-nesting"],
)
async def test_undecodable_bodies_are_malformed_responses(chunks, headers):
    async with client_for(2, streamed(chunks, **headers)) as client:
        with pytest.raises(MalformedResponseError):
            await client.verify(REQUEST, idempotency_key=KEY)


@pytest.mark.parametrize("value", ["\uff15", "\u00b2", "\u0665", "Mon, 99 Foo 2026 99:99:99 GMT"])
async def test_a_retry_after_that_is_not_ascii_seconds_or_a_date_is_ignored(value):
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={}, headers=[(b"Retry-After", value.encode())])

    async with client_for(2, handler) as client:
        with pytest.raises(ProviderStatusError) as caught:
            await client.verify(REQUEST, idempotency_key=KEY)
    assert caught.value.retry_after is None
