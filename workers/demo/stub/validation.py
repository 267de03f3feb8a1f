"""Request validation of the stand-in, as a real provider would do it.

Returns the first problem as ``(code, field)`` (codes ``missing_field`` / ``invalid_field``;
v1 upper-cases them), or None for a valid body. The server turns a problem into v1's 400 or
v2's 422 problem document; it never echoes values back.
"""

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from workers.verifymenow.countries import ISO_3166_ALPHA2

Problem = tuple[str, str]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

V1_DOCUMENT_TYPES = frozenset({"PASSPORT", "ID_CARD", "DRIVING_LICENCE"})
V2_DOCUMENT_TYPES = frozenset({"passport", "id_card", "driving_licence"})


def validate_v1(body: Any) -> Problem | None:
    if not isinstance(body, Mapping):
        return ("invalid_field", "body")
    return (
        _text(body, "reference", "reference", 128)
        or _text(body, "firstName", "firstName", 200)
        or _text(body, "lastName", "lastName", 200)
        or _date(body, "dateOfBirth", "dateOfBirth")
        or _choice(body, "documentType", "documentType", V1_DOCUMENT_TYPES)
        or _text(body, "documentNumber", "documentNumber", 64)
        or _country(body, "issuingCountry", "issuingCountry")
        or _optional_text(body, "imageRef", "imageRef", 1024)
    )


def validate_v2(body: Any) -> Problem | None:
    if not isinstance(body, Mapping):
        return ("invalid_field", "body")
    subject, document = body.get("subject"), body.get("document")
    if subject is None:
        return ("missing_field", "subject")
    if not isinstance(subject, Mapping):
        return ("invalid_field", "subject")
    if document is None:
        return ("missing_field", "document")
    if not isinstance(document, Mapping):
        return ("invalid_field", "document")
    return (
        _text(subject, "reference", "subject.reference", 128)
        or _text(subject, "given_name", "subject.given_name", 200)
        or _text(subject, "family_name", "subject.family_name", 200)
        or _date(subject, "date_of_birth", "subject.date_of_birth")
        or _choice(document, "type", "document.type", V2_DOCUMENT_TYPES)
        or _text(document, "number", "document.number", 64)
        or _country(document, "issuing_country", "document.issuing_country")
        or _optional_text(document, "image_ref", "document.image_ref", 1024)
    )


def _text(parent: Mapping[str, Any], key: str, name: str, max_length: int) -> Problem | None:
    value = parent.get(key)
    if value is None:
        return ("missing_field", name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        return ("invalid_field", name)
    return None


def _optional_text(
    parent: Mapping[str, Any], key: str, name: str, max_length: int
) -> Problem | None:
    if parent.get(key) is None:
        return None
    return _text(parent, key, name, max_length)


def _date(parent: Mapping[str, Any], key: str, name: str) -> Problem | None:
    value = parent.get(key)
    if value is None:
        return ("missing_field", name)
    if not isinstance(value, str) or not _DATE.match(value):
        return ("invalid_field", name)
    try:
        born = dt.date.fromisoformat(value)
    except ValueError:
        return ("invalid_field", name)
    if born > dt.datetime.now(dt.UTC).date():
        return ("invalid_field", name)
    return None


def _choice(
    parent: Mapping[str, Any], key: str, name: str, allowed: frozenset[str]
) -> Problem | None:
    value = parent.get(key)
    if value is None:
        return ("missing_field", name)
    if not isinstance(value, str) or value not in allowed:
        return ("invalid_field", name)
    return None


def _country(parent: Mapping[str, Any], key: str, name: str) -> Problem | None:
    value = parent.get(key)
    if value is None:
        return ("missing_field", name)
    if not isinstance(value, str) or value not in ISO_3166_ALPHA2:
        return ("invalid_field", name)
    return None
