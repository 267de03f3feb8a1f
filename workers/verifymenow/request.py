"""What we ask VerifyMeNow to verify, independent of the API version's wire format.

Built from the job's variables by `workers.tasks.verify_input` (which validates them), turned
into each version's JSON by `v1.py` and `v2.py`. Every personal field is left out of `repr`, so
a stray ``log.info(..., request=request)`` or a traceback shows no personal data.
"""

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class DocumentType(StrEnum):
    PASSPORT = "passport"
    ID_CARD = "id_card"
    DRIVING_LICENCE = "driving_licence"


@dataclass(frozen=True, slots=True)
class VerificationRequest:
    #: The applicant's id in our systems (not personal data on its own: an opaque reference).
    applicant_id: str
    given_name: str = field(repr=False)
    family_name: str = field(repr=False)
    date_of_birth: dt.date = field(repr=False)
    document_type: DocumentType
    document_number: str = field(repr=False)
    #: ISO 3166-1 alpha-2 code of the issuing country.
    document_country: str
    #: Where the provider can fetch the document's image (an opaque storage reference).
    image_ref: str | None = field(default=None, repr=False)
