"""The v1 and v2 VerifyMeNow clients against httpx.MockTransport: every answer class, mapped."""

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from support.verify import DATE_OF_BIRTH, DOCUMENT_NUMBER, FAMILY_NAME, GIVEN_NAME, IMAGE_REF

from workers.settings import VerifyMeNowSettings
from workers.verifymenow.errors import (
    DocumentUnreadableError,
    IdentityRejectedError,
    InvalidRequestError,
    MalformedResponseError,
    ProviderConnectionError,
    ProviderStatusError,
    ProviderTimeoutError,
    TransientError,
    VerifyMeNowError,
)
from workers.verifymenow.request import DocumentType, VerificationRequest
from workers.verifymenow.result import Decision
from workers.verifymenow.v1 import VerifyMeNowV1
from workers.verifymenow.v2 import VerifyMeNowV2

REQUEST = VerificationRequest(
    applicant_id="A-1001",
    given_name=GIVEN_NAME,
    family_name=FAMILY_NAME,
    date_of_birth=dt.date.fromisoformat(DATE_OF_BIRTH),
    document_type=DocumentType.DRIVING_LICENCE,
    document_number=DOCUMENT_NUMBER,
    document_country="GB",
    image_ref=IMAGE_REF,
)
KEY = "camunda-1-2"
Handler = Callable[[httpx.Request], Any]


def client_for(version: int, handler: Handler, *, timeout: float = 2.0, api_key: str | None = None):
    cls = VerifyMeNowV1 if version == 1 else VerifyMeNowV2
    return cls(
        base_url=f"http://vmn.test/{version}",
        timeout=timeout,
        api_key=api_key,
        transport=httpx.MockTransport(handler),
    )


async def verify(version: int, handler: Handler, **kwargs: Any):
    async with client_for(version, handler, **kwargs) as client:
        return await client.verify(REQUEST, idempotency_key=KEY)


def answer(status: int, body: Any, **headers: str) -> Handler:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return handler


def raising(exc: Exception) -> Handler:
    def handler(_request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


# -- the wire format we send ---------------------------------------------------------------


async def test_v1_sends_the_flat_check_with_idempotency_key_and_bearer_token():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "OK", "code": "VERIFIED", "checkId": "c1"})

    await verify(1, handler, api_key="s3cret")
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == "/1/v1/identity/check"
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert json.loads(request.content) == {
        "reference": "A-1001",
        "firstName": GIVEN_NAME,
        "lastName": FAMILY_NAME,
        "dateOfBirth": DATE_OF_BIRTH,
        "documentType": "DRIVING_LICENCE",
        "documentNumber": DOCUMENT_NUMBER,
        "issuingCountry": "GB",
        "imageRef": IMAGE_REF,
    }


async def test_v2_sends_subject_and_document_without_authorization_when_no_key():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": "v1", "decision": "approved", "reasons": []})

    await verify(2, handler)
    (request,) = seen
    assert request.url.path == "/2/v2/verifications"
    assert request.headers["Idempotency-Key"] == KEY
    assert "Authorization" not in request.headers
    assert json.loads(request.content) == {
        "subject": {
            "reference": "A-1001",
            "given_name": GIVEN_NAME,
            "family_name": FAMILY_NAME,
            "date_of_birth": DATE_OF_BIRTH,
        },
        "document": {
            "type": "driving_licence",
            "number": DOCUMENT_NUMBER,
            "issuing_country": "GB",
            "image_ref": IMAGE_REF,
        },
    }


def test_from_settings_picks_each_versions_url():
    settings = VerifyMeNowSettings.from_env(
        {"VERIFYMENOW_V1_URL": "http://one.test", "VERIFYMENOW_V2_URL": "http://two.test"}
    )
    assert str(VerifyMeNowV1.from_settings(settings)._http.base_url) == "http://one.test"
    assert str(VerifyMeNowV2.from_settings(settings)._http.base_url) == "http://two.test"


# -- approvals and business outcomes -------------------------------------------------------


async def test_v1_ok_is_a_verified_result():
    result = await verify(1, answer(200, {"status": "OK", "code": "VERIFIED", "checkId": "chk_9"}))
    assert (result.version, result.decision, result.reasons) == (1, Decision.VERIFIED, ())
    assert result.provider_reference == "chk_9"
    assert result.latency_ms >= 0


async def test_v2_approved_is_a_verified_result_keeping_reasons():
    result = await verify(
        2, answer(201, {"id": "ver_7", "decision": "approved", "reasons": ["low_risk"]})
    )
    assert (result.version, result.decision, result.reasons) == (
        2,
        Decision.VERIFIED,
        ("low_risk",),
    )
    assert result.as_variable() == {
        "version": 2,
        "decision": "verified",
        "reasons": ["low_risk"],
        "providerReference": "ver_7",
        "latencyMs": round(result.latency_ms),
    }


def v1_ko(code: str) -> dict[str, Any]:
    return {"status": "KO", "code": code, "checkId": "c"}


def v2_says(decision: str, *reasons: str) -> dict[str, Any]:
    return {"id": "c", "decision": decision, "reasons": list(reasons)}


REJECTED, UNREADABLE = IdentityRejectedError, DocumentUnreadableError


@pytest.mark.parametrize(
    ("version", "body", "error", "reasons"),
    [
        (1, v1_ko("REJECTED"), REJECTED, ("REJECTED",)),
        (1, v1_ko("DATA_MISMATCH"), REJECTED, ("DATA_MISMATCH",)),
        (1, v1_ko("DOC_UNREADABLE"), UNREADABLE, ("DOC_UNREADABLE",)),
        (1, v1_ko("DOC_EXPIRED"), UNREADABLE, ("DOC_EXPIRED",)),
        (2, v2_says("rejected", "identity_mismatch"), REJECTED, ("identity_mismatch",)),
        (2, v2_says("rejected", "document_unreadable"), UNREADABLE, ("document_unreadable",)),
        (
            2,
            v2_says("review", "document_glare", "document_cropped"),
            UNREADABLE,
            ("document_glare", "document_cropped"),
        ),
        (
            2,
            v2_says("review", "watchlist_possible_match"),
            REJECTED,
            ("review", "watchlist_possible_match"),
        ),
        (
            2,
            v2_says("review", "document_glare", "face_mismatch"),
            REJECTED,
            ("review", "document_glare", "face_mismatch"),
        ),
        (2, {"id": "c", "decision": "review"}, REJECTED, ("review",)),
    ],
)
async def test_refusals_raise_the_business_outcome_with_the_result(version, body, error, reasons):
    with pytest.raises(error) as caught:
        await verify(version, answer(200, body))
    result = caught.value.result
    assert caught.value.error_code == error.error_code
    assert result.version == version
    assert result.reasons == reasons
    assert result.provider_reference == "c"
    expected = Decision.REJECTED if error is IdentityRejectedError else Decision.UNREADABLE
    assert result.decision is expected


# -- transient failures --------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 409, 425, 429])
async def test_server_errors_and_throttling_are_transient_with_the_status(version, status):
    with pytest.raises(ProviderStatusError) as caught:
        await verify(version, answer(status, {"error": "x"}))
    assert caught.value.status == status
    assert str(caught.value) == f"VerifyMeNow v{version} returned HTTP {status}"
    assert isinstance(caught.value, TransientError)


@pytest.mark.parametrize("version", [1, 2])
async def test_retry_after_seconds_is_kept_for_the_backoff(version):
    with pytest.raises(ProviderStatusError) as caught:
        await verify(version, answer(429, {}, **{"Retry-After": "7"}))
    assert caught.value.retry_after == 7.0


async def test_retry_after_as_http_date_becomes_seconds_capped_at_five_minutes():
    later = format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(hours=2), usegmt=True)
    with pytest.raises(ProviderStatusError) as caught:
        await verify(2, answer(503, {}, **{"Retry-After": later}))
    assert caught.value.retry_after == 300.0


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("slow")]
)
async def test_httpx_timeouts_become_provider_timeouts(version, exc):
    with pytest.raises(
        ProviderTimeoutError, match=f"VerifyMeNow v{version} did not answer"
    ) as caught:
        await verify(version, raising(exc))
    assert caught.value.__cause__ is exc
    # Only a request the provider got can still be running there and pace the retry.
    sent = isinstance(exc, httpx.ReadTimeout)
    assert caught.value.retry_not_sooner_than == (2.0 if sent else None)  # the timeout


@pytest.mark.parametrize("version", [1, 2])
async def test_a_provider_slower_than_the_whole_request_timeout_is_a_timeout(version):
    async def slow(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    with pytest.raises(ProviderTimeoutError) as caught:
        await verify(version, slow, timeout=0.05)
    assert caught.value.in_flight_s == 0.05


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("bad framing"),
    ],
)
async def test_connection_failures_are_transient_and_hide_httpx(version, exc):
    with pytest.raises(ProviderConnectionError) as caught:
        await verify(version, raising(exc))
    assert type(exc).__name__ in str(caught.value)
    assert not isinstance(caught.value, httpx.HTTPError)


@pytest.mark.parametrize("version", [1, 2])
async def test_a_success_status_without_json_is_malformed(version):
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>gateway</html>")

    with pytest.raises(MalformedResponseError, match="not JSON"):
        await verify(version, handler)


@pytest.mark.parametrize(
    ("version", "body", "problem"),
    [
        (1, [1, 2], "not a JSON object"),
        (1, {"status": "OK"}, "checkId"),
        (1, {"status": "MAYBE", "checkId": "c"}, "neither OK nor KO"),
        (1, {"status": "KO", "code": "NEW_CODE", "checkId": "c"}, "unknown KO code NEW_CODE"),
        (1, {"status": "KO", "code": {"x": 1}, "checkId": "c"}, "unknown KO code"),
        (2, "approved", "not a JSON object"),
        (2, {"decision": "approved"}, "'id'"),
        (2, {"id": "v", "decision": "maybe"}, "'decision'"),
        (2, {"id": "v", "decision": "rejected", "reasons": "identity"}, "'reasons' is not a list"),
        (2, {"id": "v", "decision": "rejected", "reasons": ["has spaces in it"]}, "short codes"),
        (2, {"id": "v", "decision": "approved", "reasons": [3]}, "short codes"),
    ],
)
async def test_bodies_that_break_the_contract_are_malformed(version, body, problem):
    with pytest.raises(MalformedResponseError) as caught:
        await verify(version, answer(200, body))
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"VerifyMeNow v{version} sent a malformed response")


# -- requests the provider will not accept -------------------------------------------------


async def test_v1_validation_error_names_code_and_field():
    body = {"status": "ERROR", "code": "INVALID_FIELD", "field": "dateOfBirth"}
    with pytest.raises(InvalidRequestError) as caught:
        await verify(1, answer(400, body))
    error = caught.value
    assert (error.status, error.code, error.field) == (400, "INVALID_FIELD", "dateOfBirth")
    assert str(error) == (
        "VerifyMeNow v1 refused the request: HTTP 400, code INVALID_FIELD, field dateOfBirth"
    )
    assert not isinstance(error, TransientError)


async def test_v2_problem_document_names_code_and_field():
    body = {"status": 422, "code": "invalid_field", "field": "subject.date_of_birth"}
    with pytest.raises(InvalidRequestError) as caught:
        await verify(2, answer(422, body))
    assert (caught.value.code, caught.value.field) == ("invalid_field", "subject.date_of_birth")


@pytest.mark.parametrize(
    ("version", "status", "hint"),
    [
        (1, 401, "VERIFYMENOW_API_KEY"),
        (2, 403, "VERIFYMENOW_API_KEY"),
        (2, 404, "VERIFYMENOW_V2_URL"),
        (1, 301, "VERIFYMENOW_V1_URL"),
    ],
)
async def test_auth_and_url_problems_are_not_retried_and_say_what_to_check(version, status, hint):
    with pytest.raises(InvalidRequestError, match=hint) as caught:
        await verify(version, answer(status, None))
    assert caught.value.status == status
    assert caught.value.code is None


async def test_provider_echoes_of_personal_data_never_reach_the_message():
    body = {
        "code": f"invalid {GIVEN_NAME}",
        "field": f"{FAMILY_NAME} {DOCUMENT_NUMBER}",
        "detail": f"{DATE_OF_BIRTH} is not valid for {DOCUMENT_NUMBER}",
    }
    with pytest.raises(InvalidRequestError) as caught:
        await verify(2, answer(422, body))
    assert str(caught.value) == "VerifyMeNow v2 refused the request: HTTP 422"


@pytest.mark.parametrize("version", [1, 2])
async def test_only_fields_we_sent_are_named_never_an_echoed_value(version):
    body = {"status": "ERROR", "code": "INVALID_FIELD", "field": DOCUMENT_NUMBER}
    with pytest.raises(InvalidRequestError) as caught:
        await verify(version, answer(400, body))
    assert caught.value.field is None
    assert DOCUMENT_NUMBER not in str(caught.value)


@pytest.mark.parametrize("version", [1, 2])
async def test_every_failure_is_a_verifymenow_error_without_personal_data(version):
    handlers = [
        answer(503, {}),
        raising(httpx.ConnectError("x")),
        answer(400, {"code": "X"}),
        answer(200, {"nonsense": True}),
    ]
    for handler in handlers:
        with pytest.raises(VerifyMeNowError) as caught:
            await verify(version, handler)
        text = str(caught.value)
        assert caught.value.version == version
        for value in (GIVEN_NAME, FAMILY_NAME, DATE_OF_BIRTH, DOCUMENT_NUMBER, IMAGE_REF):
            assert value not in text


def test_the_request_repr_shows_no_personal_data():
    text = repr(REQUEST)
    assert "A-1001" in text
    for value in (GIVEN_NAME, FAMILY_NAME, DOCUMENT_NUMBER, IMAGE_REF, "1987"):
        assert value not in text


def test_a_non_positive_timeout_is_refused():
    with pytest.raises(ValueError, match="timeout"):
        VerifyMeNowV2(base_url="http://x.test", timeout=0)
