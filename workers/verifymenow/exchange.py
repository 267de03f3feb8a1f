"""The HTTP plumbing both API versions share: one POST, every failure translated to our errors.

What is transient is decided here, once, from the transport error or the status code:
timeouts, connection failures, 5xx, 408, 409 (another request with the same idempotency key
is still being processed), 425 and 429 are worth retrying; a 2xx whose body is not JSON is
malformed (also transient: the provider may answer properly next time). Every other 4xx or
3xx goes back to the version's module, which reads its error body and raises
`InvalidRequestError`.

A 409 with Retry-After means the provider is still working on our first request with this
idempotency key (a retry after a timeout meets it): that is not a failure, the answer is on
its way. Given the job's deadline, `_post` waits Retry-After and asks again, as often as the
deadline allows; the provider then replays its stored answer. (Before, an 8 s provider and the
5 s timeout ended in an incident "HTTP 409 (attempt 3 of 3)" although it approved.)

Bodies are read as a stream, decompressed here with a byte limit (`MAX_BODY_BYTES`): a 200 MB
gzip bomb once took a worker from 92 to 761 MB. A body over the limit, a Content-Encoding we
did not ask for, JSON nested too deeply to parse or a Retry-After that is not ASCII is a
malformed response, never a worker bug.
"""

import asyncio
import datetime as dt
import email.utils
import json
import math
import re
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Self

import httpx
import structlog

from workers import __version__
from workers.settings import VerifyMeNowSettings
from workers.verifymenow.errors import (
    InvalidRequestError,
    MalformedResponseError,
    ProviderConnectionError,
    ProviderStatusError,
    ProviderTimeoutError,
)
from workers.verifymenow.idempotency import HEADER as IDEMPOTENCY_HEADER

#: Statuses where the same request may succeed later.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})
#: Never wait longer than this for a Retry-After, whatever the provider says.
MAX_RETRY_AFTER = 300.0
#: Largest response body read, after decompression (a verification answer is under 1 KB).
MAX_BODY_BYTES = 1 << 20
#: Shortest wait before asking again about a request still in progress.
MIN_IN_PROGRESS_WAIT = 0.1
#: An attempt after waiting needs at least this long before the deadline to be worth making.
MIN_ATTEMPT_SECONDS = 0.5
#: The encodings we accept (and decompress ourselves, with the byte limit).
ACCEPT_ENCODING = "gzip, deflate"

log = structlog.get_logger(__name__)


class _BodyTooLargeError(Exception):
    pass


_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def safe_token(value: Any) -> str | None:
    """A provider-supplied code or field name, if it looks like one (so never a person's data)."""
    if isinstance(value, str) and _TOKEN.match(value):
        return value
    return None


@dataclass(frozen=True, slots=True)
class Reply:
    """A non-transient answer: a 2xx with a JSON body, or a 3xx/4xx (body None if not JSON)."""

    status: int
    body: Any
    latency_ms: float


class ProviderClient:
    """Base of the per-version clients: owns one `httpx.AsyncClient` for one base URL."""

    #: The API version a subclass speaks.
    version: ClassVar[int]

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not math.isfinite(timeout) or timeout <= 0:
            msg = "timeout must be a positive number of seconds"
            raise ValueError(msg)
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
            "User-Agent": f"camunda-canary/{__version__}",
        }
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            headers=headers,
            transport=transport,
            follow_redirects=False,
        )

    @classmethod
    def from_settings(
        cls, settings: VerifyMeNowSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> Self:
        base_url = settings.v1_url if cls.version == 1 else settings.v2_url
        return cls(
            base_url=base_url,
            timeout=settings.request_timeout,
            api_key=settings.api_key,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _post_for_object(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str,
        known_fields: frozenset[str],
        deadline: float | None = None,
    ) -> tuple[Reply, dict[str, Any]]:
        """POST and return a 2xx JSON object; a 3xx/4xx becomes `InvalidRequestError` and
        anything that is not an object `MalformedResponseError`. `deadline` (epoch seconds)
        is when the answer is needed by: a request still in progress is waited out until
        then."""
        reply = await self._post(path, payload, idempotency_key=idempotency_key, deadline=deadline)
        body = reply.body
        if reply.status >= 300:
            code = body.get("code") if isinstance(body, dict) else None
            field = body.get("field") if isinstance(body, dict) else None
            raise self._invalid_request(reply, code=code, field=field, known_fields=known_fields)
        if not isinstance(body, dict):
            raise self._malformed("body is not a JSON object")
        return reply, body

    async def _post(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str,
        deadline: float | None = None,
    ) -> Reply:
        """POST `payload`; raise `TransientError` subclasses, return everything else. A 409
        with Retry-After is asked again after it, while `deadline` leaves room."""
        timeout = self._timeout
        waited = False
        while True:
            try:
                return await self._post_once(
                    path, payload, idempotency_key=idempotency_key, timeout=timeout
                )
            except ProviderStatusError as exc:
                wait = _in_progress_wait(exc, deadline)
                if wait is None:
                    raise
                if not waited:
                    log.info(
                        "provider still processing this request; asking again after it",
                        retry_after_s=round(wait, 3),
                        provider_version=self.version,
                    )
                    waited = True
            await asyncio.sleep(wait)
            if deadline is not None:
                timeout = min(self._timeout, max(deadline - time.time(), MIN_ATTEMPT_SECONDS))

    async def _post_once(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str,
        timeout: float,  # noqa: ASYNC109  (one attempt's budget, shortened near the deadline)
    ) -> Reply:
        name = f"VerifyMeNow v{self.version}"
        started = time.perf_counter()
        try:
            # httpx's timeout applies per phase (connect, each read...); this bounds the whole
            # exchange, so a provider that trickles bytes cannot hold the job past its timeout.
            async with (
                asyncio.timeout(timeout),
                self._http.stream(
                    "POST", path, json=payload, headers={IDEMPOTENCY_HEADER: idempotency_key}
                ) as response,
            ):
                status = response.status_code
                if status >= 500 or status in TRANSIENT_STATUSES:
                    msg = f"{name} returned HTTP {status}"
                    raise ProviderStatusError(
                        msg,
                        version=self.version,
                        status=status,
                        retry_after=_retry_after(response),
                    )
                raw = await _read_limited(response, MAX_BODY_BYTES)
        except (TimeoutError, httpx.TimeoutException) as exc:
            msg = f"{name} did not answer within {timeout:g} s"
            # No connection (or none free) in time: the provider never had the request.
            unsent = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            raise ProviderTimeoutError(
                msg, version=self.version, in_flight_s=None if unsent else timeout
            ) from exc
        except httpx.TransportError as exc:
            msg = f"{name} could not be reached ({type(exc).__name__})"
            raise ProviderConnectionError(msg, version=self.version) from exc
        except (httpx.DecodingError, zlib.error) as exc:
            msg = f"{name} sent a body that could not be decoded"
            raise MalformedResponseError(msg, version=self.version) from exc
        except _BodyTooLargeError as exc:
            msg = f"{name} sent a malformed response: body over {MAX_BODY_BYTES:,} bytes"
            raise MalformedResponseError(msg, version=self.version) from exc
        latency_ms = (time.perf_counter() - started) * 1000.0
        body = _json_or_none(raw)
        if 200 <= status < 300 and body is None:
            msg = f"{name} sent a malformed response: HTTP {status} body is not JSON"
            raise MalformedResponseError(msg, version=self.version)
        return Reply(status=status, body=body, latency_ms=latency_ms)

    def _malformed(self, problem: str) -> MalformedResponseError:
        msg = f"VerifyMeNow v{self.version} sent a malformed response: {problem}"
        return MalformedResponseError(msg, version=self.version)

    def _invalid_request(
        self, reply: Reply, *, code: Any, field: Any, known_fields: frozenset[str]
    ) -> InvalidRequestError:
        """The provider refused the request. Only a field we know we sent is named: a field
        "name" echoing a value (a document number) must not reach the incident message."""
        code_token = safe_token(code)
        field_token = field if isinstance(field, str) and field in known_fields else None
        details = [f"HTTP {reply.status}"]
        if code_token:
            details.append(f"code {code_token}")
        if field_token:
            details.append(f"field {field_token}")
        if reply.status in {401, 403}:
            details.append("check VERIFYMENOW_API_KEY")
        elif reply.status == 404 or 300 <= reply.status < 400:
            details.append(f"check VERIFYMENOW_V{self.version}_URL")
        msg = f"VerifyMeNow v{self.version} refused the request: {', '.join(details)}"
        return InvalidRequestError(
            msg, version=self.version, status=reply.status, code=code_token, field=field_token
        )


def _in_progress_wait(exc: ProviderStatusError, deadline: float | None) -> float | None:
    """How long to wait before asking again about a request the provider is still processing
    (409 with Retry-After), or None when this is not that case or the deadline is too near."""
    if exc.status != 409 or exc.retry_after is None or deadline is None:
        return None
    wait = max(exc.retry_after, MIN_IN_PROGRESS_WAIT)
    if time.time() + wait + MIN_ATTEMPT_SECONDS > deadline:
        return None
    return wait


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    """The body, decompressed here so the limit holds after decompression too."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    decoder: Any = None
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = zlib.decompressobj()
    elif encoding not in ("", "identity"):
        msg = f"Content-Encoding {encoding[:20]!r} was not asked for"
        raise httpx.DecodingError(msg)
    body = bytearray()
    async for chunk in _raw_chunks(response):
        if decoder is None:
            body += chunk
        else:
            # max_length bounds what one compressed chunk may expand to.
            body += decoder.decompress(chunk, limit + 1 - len(body))
            if decoder.unconsumed_tail:
                raise _BodyTooLargeError
        if len(body) > limit:
            raise _BodyTooLargeError
    if decoder is not None:
        body += decoder.flush(limit + 1 - len(body))
    if len(body) > limit:
        raise _BodyTooLargeError
    return bytes(body)


async def _raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    if response.is_stream_consumed:
        # Built with its content already there (a test's transport): nothing to stream.
        yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk


def _json_or_none(raw: bytes) -> Any:
    """Parsed JSON, or None for a body that is not JSON (nested too deeply counts as not)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), capped; None if absent or bad
    (ASCII only: a fullwidth or superscript digit is not a number of seconds)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if not value.isascii():
        return None
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    delta = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER)
