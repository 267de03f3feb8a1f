"""VerifyMeNow API v2 client: a verification resource with a decision and reasons.

Wire format::

    POST {VERIFYMENOW_V2_URL}/v2/verifications
    Authorization: Bearer <VERIFYMENOW_API_KEY>          (only when configured)
    Idempotency-Key: camunda-<processInstanceKey>-<elementInstanceKey>

    {"subject": {"reference": "A-1001", "given_name": "Ada", "family_name": "Lovelace",
                 "date_of_birth": "1990-04-01"},
     "document": {"type": "passport" | "id_card" | "driving_licence", "number": "X1234567",
                  "issuing_country": "GB", "image_ref": "s3://..."}}        (image_ref optional)

    201 {"id": "ver_...", "decision": "approved" | "rejected" | "review",
         "reasons": ["identity_mismatch", "document_glare", ...]}
    400/422 application/problem+json
        {"type": "...", "title": "...", "status": 422, "code": "invalid_field",
         "field": "subject.date_of_birth"}

Mapping (reasons are kept as sent):

- ``approved`` -> verified.
- ``rejected`` or ``review`` whose reasons are all about the document being unusable
  (`UNUSABLE_DOCUMENT_REASONS`) -> `DocumentUnreadableError`: a new document may settle it,
  and the DOCUMENT_UNREADABLE path asks the applicant for one.
- any other ``rejected`` -> `IdentityRejectedError`.
- any other ``review`` -> `IdentityRejectedError`, with ``"review"`` prepended to the reasons.
  The process has no manual-review path, and a worker must never approve what the provider
  would not; the rejected path is where a person can take the case over.

Anything else (unknown decision, missing id, reasons that are not short codes) is a
`MalformedResponseError`. Errors and statuses as in `exchange.py`.
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

PATH = "/v2/verifications"

#: Reasons meaning "this document could not be used", as opposed to "this is not the person".
UNUSABLE_DOCUMENT_REASONS = frozenset(
    {
        "document_unreadable",
        "document_blurry",
        "document_glare",
        "document_cropped",
        "document_expired",
        "document_image_missing",
    }
)
DECISIONS = ("approved", "rejected", "review")
#: Field paths a 400/422 may point at (anything else is left out of our messages).
FIELDS = frozenset(
    {
        "body",
        "subject",
        "subject.reference",
        "subject.given_name",
        "subject.family_name",
        "subject.date_of_birth",
        "document",
        "document.type",
        "document.number",
        "document.issuing_country",
        "document.image_ref",
    }
)


def request_body(request: VerificationRequest) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": request.document_type.value,
        "number": request.document_number,
        "issuing_country": request.document_country,
    }
    if request.image_ref is not None:
        document["image_ref"] = request.image_ref
    return {
        "subject": {
            "reference": request.applicant_id,
            "given_name": request.given_name,
            "family_name": request.family_name,
            "date_of_birth": request.date_of_birth.isoformat(),
        },
        "document": document,
    }


class VerifyMeNowV2(ProviderClient):
    version: ClassVar[int] = 2

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
        reference = safe_token(body.get("id"))
        if reference is None:
            raise self._malformed("'id' is missing or not an id")
        decision = body.get("decision")
        if decision not in DECISIONS:
            raise self._malformed(f"'decision' is not one of {', '.join(DECISIONS)}")
        raw_reasons = body.get("reasons", [])
        if not isinstance(raw_reasons, list):
            raise self._malformed("'reasons' is not a list")
        reasons = tuple(safe_token(r) for r in raw_reasons)
        if None in reasons:
            raise self._malformed("'reasons' holds something other than short codes")
        codes = tuple(r for r in reasons if r is not None)

        if decision == "approved":
            return VerificationResult(2, Decision.VERIFIED, codes, reference, reply.latency_ms)
        refusal: type[VerificationRefusedError]
        if codes and UNUSABLE_DOCUMENT_REASONS.issuperset(codes):
            verdict, refusal = Decision.UNREADABLE, DocumentUnreadableError
        else:
            verdict, refusal = Decision.REJECTED, IdentityRejectedError
            if decision == "review":
                codes = ("review", *codes)
        result = VerificationResult(2, verdict, codes, reference, reply.latency_ms)
        msg = f"VerifyMeNow v2 decided {decision} ({', '.join(codes) or 'no reasons given'})"
        raise refusal(msg, result=result)
