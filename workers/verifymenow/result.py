"""The one result type both API versions return, and the interface of a client.

A client returns a `VerificationResult` only when the identity is verified; a rejection or an
unreadable document is raised as a `VerificationRefusedError` carrying the result, so the
business outcome is a type decided at the HTTP boundary (see `errors.py`).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from workers.verifymenow.request import VerificationRequest


class Decision(StrEnum):
    """Our reading of the provider's answer (the same words as `postgres.outcomes.Outcome`)."""

    VERIFIED = "verified"
    REJECTED = "rejected"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class VerificationResult:
    version: int
    decision: Decision
    #: The provider's reason codes, as sent (short tokens such as ``document_glare``).
    reasons: tuple[str, ...]
    #: The provider's id for this check (v1 ``checkId``, v2 ``id``), for support requests.
    provider_reference: str
    #: Wall-clock time of the HTTP exchange.
    latency_ms: float

    def as_variable(self) -> dict[str, Any]:
        """The ``verification`` process variable."""
        return {
            "version": self.version,
            "decision": self.decision.value,
            "reasons": list(self.reasons),
            "providerReference": self.provider_reference,
            "latencyMs": round(self.latency_ms),
        }


class VerificationClient(Protocol):
    """One API version's client (`v1.VerifyMeNowV1`, `v2.VerifyMeNowV2`)."""

    @property
    def version(self) -> int: ...

    async def verify(
        self, request: VerificationRequest, *, idempotency_key: str, deadline: float | None = None
    ) -> VerificationResult: ...
