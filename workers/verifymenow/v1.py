"""VerifyMeNow API v1 client: one flat JSON check with an OK/KO answer.

Wire format::

    POST {VERIFYMENOW_V1_URL}/v1/identity/check
    Authorization: Bearer <VERIFYMENOW_API_KEY>          (only when configured)
    Idempotency-Key: camunda-<processInstanceKey>-<elementInstanceKey>

    {"reference": "A-1001", "firstName": "Ada", "lastName": "Lovelace",
     "dateOfBirth": "1990-04-01", "documentType": "PASSPORT" | "ID_CARD" | "DRIVING_LICENCE",
     "documentNumber": "X1234567", "issuingCountry": "GB",
     "imageRef": "s3://..."}                                      (imageRef optional)

    200 {"status": "OK", "code": "VERIFIED", "checkId": "chk_..."}
    200 {"status": "KO", "code": "REJECTED" | "DATA_MISMATCH", "checkId": "chk_..."}
    200 {"status": "KO", "code": "DOC_UNREADABLE" | "DOC_EXPIRED", "checkId": "chk_..."}
    400 {"status": "ERROR", "code": "MISSING_FIELD" | "INVALID_FIELD" | "MALFORMED_JSON",
         "field": "dateOfBirth"}

Mapping: OK -> verified; KO REJECTED/DATA_MISMATCH -> `IdentityRejectedError`; KO
DOC_UNREADABLE/DOC_EXPIRED -> `DocumentUnreadableError`; reasons = ``[code]``. Any other
status or KO code is not in the contract: `MalformedResponseError` (transient, so it ends as
an incident naming the unknown code rather than a guess). Errors and statuses as in
`exchange.py`.
"""

from typing import Any, ClassVar

from workers.verifymenow.errors import (
    DocumentUnreadableError,
    IdentityRejectedError,
    VerificationRefusedError,
)
from workers.verifymenow.exchange import ProviderClient, safe_token
from workers.verifymenow.request import VerificationRequest
from workers.verifymenow.result import Decision, VerificationResult

PATH = "/v1/identity/check"

REJECTED_CODES = frozenset({"REJECTED", "DATA_MISMATCH"})
UNREADABLE_CODES = frozenset({"DOC_UNREADABLE", "DOC_EXPIRED"})
#: Field names a 400 may point at (anything else is left out of our messages).
FIELDS = frozenset(
    {
        "body",
        "reference",
        "firstName",
        "lastName",
        "dateOfBirth",
        "documentType",
        "documentNumber",
        "issuingCountry",
        "imageRef",
    }
)


def request_body(request: VerificationRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": request.applicant_id,
        "firstName": request.given_name,
        "lastName": request.family_name,
        "dateOfBirth": request.date_of_birth.isoformat(),
        "documentType": request.document_type.value.upper(),
        "documentNumber": request.document_number,
        "issuingCountry": request.document_country,
    }
    if request.image_ref is not None:
        body["imageRef"] = request.image_ref
    return body


class VerifyMeNowV1(ProviderClient):
    version: ClassVar[int] = 1

    async def verify(
        self, request: VerificationRequest, *, idempotency_key: str, deadline: float | None = None
    ) -> VerificationResult:
        """Verified -> the result; rejected/unreadable -> `VerificationRefusedError`.

        `deadline` (epoch seconds): a request the provider is still processing is waited out
        until then (see `exchange`)."""
        reply, body = await self._post_for_object(
            PATH,
            request_body(request),
            idempotency_key=idempotency_key,
            known_fields=FIELDS,
            deadline=deadline,
        )
        check_id = safe_token(body.get("checkId"))
        if check_id is None:
            raise self._malformed("'checkId' is missing or not an id")
        status, code = body.get("status"), safe_token(body.get("code"))
        if status == "OK":
            return VerificationResult(1, Decision.VERIFIED, (), check_id, reply.latency_ms)
        if status != "KO":
            raise self._malformed("'status' is neither OK nor KO")
        refusal: type[VerificationRefusedError]
        if code in REJECTED_CODES:
            decision, refusal = Decision.REJECTED, IdentityRejectedError
        elif code in UNREADABLE_CODES:
            decision, refusal = Decision.UNREADABLE, DocumentUnreadableError
        else:
            raise self._malformed(f"unknown KO code {code or '(not a code)'}")
        result = VerificationResult(1, decision, (code,), check_id, reply.latency_ms)
        msg = f"VerifyMeNow v1 answered KO {code}"
        raise refusal(msg, result=result)
