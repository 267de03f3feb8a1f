"""Everything the VerifyMeNow clients raise: one tree, decided once at the HTTP boundary.

    VerifyMeNowError                  root; the message names the API version, never a person
     ├── VerificationRefusedError     business outcome: the provider said no (carries the result)
     │    ├── IdentityRejectedError   -> BPMN error IDENTITY_REJECTED
     │    └── DocumentUnreadableError -> BPMN error DOCUMENT_UNREADABLE
     ├── InvalidRequestError          the provider will not accept our request as sent (400, 401,
     │                                403, 404, 422, ...): the same request can never succeed, so
     │                                an incident for a person, not a retry
     └── TransientError               the call may succeed later: fail the job with a backoff
          ├── ProviderStatusError     HTTP 5xx, 408, 409 (same key still in flight), 425, 429
          ├── ProviderTimeoutError    no complete answer within the request timeout
          ├── ProviderConnectionError connection refused or dropped, DNS, TLS, protocol errors
          └── MalformedResponseError  a 2xx whose body is not the documented JSON

httpx exceptions never escape the clients: each is translated into one of these with
``raise ... from exc``. Messages carry status codes, provider error codes and field names,
never request values (names, dates of birth, document numbers).
"""

from typing import TYPE_CHECKING, ClassVar

from workers import process
from workers.errors import CanaryError

if TYPE_CHECKING:
    from workers.verifymenow.result import VerificationResult


class VerifyMeNowError(CanaryError):
    """Anything the VerifyMeNow clients raise on purpose."""

    def __init__(self, message: str, *, version: int) -> None:
        super().__init__(message)
        self.version = version


class VerificationRefusedError(VerifyMeNowError):
    """The provider processed the request and did not verify the identity."""

    #: The BPMN error code the boundary event on the verify task catches.
    error_code: ClassVar[str]

    def __init__(self, message: str, *, result: "VerificationResult") -> None:
        super().__init__(message, version=result.version)
        self.result = result


class IdentityRejectedError(VerificationRefusedError):
    error_code = process.IDENTITY_REJECTED


class DocumentUnreadableError(VerificationRefusedError):
    error_code = process.DOCUMENT_UNREADABLE


class InvalidRequestError(VerifyMeNowError):
    """A 4xx that retrying cannot fix: our request, our credentials or our URL is wrong."""

    def __init__(
        self, message: str, *, version: int, status: int, code: str | None, field: str | None
    ) -> None:
        super().__init__(message, version=version)
        self.status = status
        self.code = code
        self.field = field


class TransientError(VerifyMeNowError):
    """The call failed in a way that may not happen again: retry later."""

    #: Seconds the provider asked us to wait (Retry-After), if it said.
    retry_after: float | None = None

    @property
    def retry_not_sooner_than(self) -> float | None:
        """Seconds before a new attempt is worth making, if the failure tells: the job's
        retry backoff is never shorter. By default the provider's Retry-After."""
        return self.retry_after


class ProviderStatusError(TransientError):
    def __init__(
        self, message: str, *, version: int, status: int, retry_after: float | None
    ) -> None:
        super().__init__(message, version=version)
        self.status = status
        self.retry_after = retry_after


class ProviderTimeoutError(TransientError):
    def __init__(self, message: str, *, version: int, in_flight_s: float | None) -> None:
        super().__init__(message, version=version)
        #: How long the provider held our request without answering; None when the request
        #: never reached it (no connection within the timeout).
        self.in_flight_s = in_flight_s

    @property
    def retry_not_sooner_than(self) -> float | None:
        # A provider slower than our timeout is still working on the request it holds: a
        # retry sooner meets that request (409) and uses up an attempt on it. (With the job
        # backoff at 0.2-1 s, an 8 s provider and a 5 s timeout spent all three attempts in
        # about 3 s.) Waiting as long again as it already had gives it twice our timeout,
        # after which the retry gets its stored answer, or a fresh try once it has given up.
        return self.in_flight_s


class ProviderConnectionError(TransientError):
    pass


class MalformedResponseError(TransientError):
    pass
