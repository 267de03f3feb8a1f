"""The input variables of the verify-identity jobs, and their validation.

The verify tasks fetch exactly these process variables::

    applicantId   string (non-blank, at most 128 characters) or integer: our reference for the
                  applicant, sent to the provider as the check's reference
    applicant     {"givenName":   string, 1-200 characters,
                   "familyName":  string, 1-200 characters,
                   "dateOfBirth": "YYYY-MM-DD", a real date from 1900-01-01 up to today}
    document      {"type":    "passport" | "id_card" | "driving_licence",
                   "number":  string, 1-64 characters (a string: numbers lose leading zeros),
                   "country": ISO 3166-1 alpha-2 code of the issuing country ("GB", not "UK";
                              lower case is accepted and upper-cased),
                   "imageRef": optional string, at most 1024 characters, or null}

Strings are stripped of surrounding white space; other keys inside ``applicant`` and
``document`` are ignored. Anything else raises `InvalidVariablesError`, whose message names
the variable and the rule and never the value (values are personal data): the job then fails
with no retries, so the incident in Operate says which variable to fix.
"""

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from workers import process
from workers.errors import CanaryError
from workers.verifymenow.countries import ISO_3166_ALPHA2
from workers.verifymenow.request import DocumentType, VerificationRequest

#: The variables the verify tasks fetch (nothing else reaches the worker).
INPUT_VARIABLES = (process.APPLICANT_ID, process.APPLICANT, process.DOCUMENT)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EARLIEST_BIRTH = dt.date(1900, 1, 1)
_DOCUMENT_TYPES = ", ".join(t.value for t in DocumentType)


class InvalidVariablesError(CanaryError):
    """A job's input variable is missing or malformed; the message names it, not its value."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"input variable {variable} {problem}")
        self.variable = variable


def parse_verification_input(
    variables: Mapping[str, Any], *, today: dt.date | None = None
) -> VerificationRequest:
    """Validate the job's variables and build the provider-neutral request."""
    applicant_id = _applicant_id(variables)
    applicant = _object(variables, process.APPLICANT, "givenName, familyName, dateOfBirth")
    document = _object(variables, process.DOCUMENT, "type, number, country")
    doc_type = document.get("type")
    if not isinstance(doc_type, str) or doc_type not in {t.value for t in DocumentType}:
        raise InvalidVariablesError("document.type", f"must be one of {_DOCUMENT_TYPES}")
    country = _string(document, "document", "country", max_length=8).upper()
    if country not in ISO_3166_ALPHA2:
        raise InvalidVariablesError(
            "document.country", "must be an ISO 3166-1 alpha-2 country code such as GB or FR"
        )
    image_ref = None
    if document.get("imageRef") is not None:
        image_ref = _string(document, "document", "imageRef", max_length=1024)
    return VerificationRequest(
        applicant_id=applicant_id,
        given_name=_string(applicant, "applicant", "givenName", max_length=200),
        family_name=_string(applicant, "applicant", "familyName", max_length=200),
        date_of_birth=_date_of_birth(applicant, today=today or dt.datetime.now(dt.UTC).date()),
        document_type=DocumentType(doc_type),
        document_number=_string(document, "document", "number", max_length=64),
        document_country=country,
        image_ref=image_ref,
    )


def _applicant_id(variables: Mapping[str, Any]) -> str:
    if variables.get(process.APPLICANT_ID) is None:
        raise InvalidVariablesError(process.APPLICANT_ID, "is missing")
    value = variables[process.APPLICANT_ID]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value.strip()) <= 128:
        return value.strip()
    raise InvalidVariablesError(
        process.APPLICANT_ID, "must be an integer or a non-blank string of at most 128 characters"
    )


def _object(variables: Mapping[str, Any], name: str, keys: str) -> Mapping[str, Any]:
    if name not in variables or variables[name] is None:
        raise InvalidVariablesError(name, "is missing")
    value = variables[name]
    if not isinstance(value, Mapping):
        raise InvalidVariablesError(name, f"must be an object with {keys}")
    return value


def _string(parent: Mapping[str, Any], parent_name: str, key: str, *, max_length: int) -> str:
    name = f"{parent_name}.{key}"
    value = parent.get(key)
    if value is None:
        raise InvalidVariablesError(name, "is missing")
    if not isinstance(value, str):
        raise InvalidVariablesError(name, "must be a string")
    stripped = value.strip()
    if not stripped or len(stripped) > max_length or not stripped.isprintable():
        raise InvalidVariablesError(
            name, f"must be 1 to {max_length} printable characters (not blank)"
        )
    return stripped


def _date_of_birth(applicant: Mapping[str, Any], *, today: dt.date) -> dt.date:
    name = "applicant.dateOfBirth"
    value = applicant.get("dateOfBirth")
    if value is None:
        raise InvalidVariablesError(name, "is missing")
    if not isinstance(value, str) or not _DATE.match(value):
        raise InvalidVariablesError(name, "must be a date written YYYY-MM-DD")
    try:
        born = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidVariablesError(name, "is not a calendar date (YYYY-MM-DD)") from None
    if not _EARLIEST_BIRTH <= born <= today:
        raise InvalidVariablesError(name, "must be between 1900-01-01 and today")
    return born
