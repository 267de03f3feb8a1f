"""Validation of the verify jobs' input variables: each rule names the variable, never the value."""

import datetime as dt
import re

import pytest
from support.verify import (
    DATE_OF_BIRTH,
    DOCUMENT_NUMBER,
    FAMILY_NAME,
    GIVEN_NAME,
    IMAGE_REF,
    PERSONAL_VALUES,
    valid_variables,
)

from workers.tasks.verify_input import (
    INPUT_VARIABLES,
    InvalidVariablesError,
    parse_verification_input,
)
from workers.verifymenow.request import DocumentType

TODAY = dt.date(2026, 6, 1)


def with_applicant(**changes):
    variables = valid_variables()
    variables["applicant"] = {**variables["applicant"], **changes}
    return variables


def with_document(**changes):
    variables = valid_variables()
    variables["document"] = {**variables["document"], **changes}
    return variables


def without(parent, key):
    variables = valid_variables()
    variables[parent] = {k: v for k, v in variables[parent].items() if k != key}
    return variables


def dropped(name):
    return {k: v for k, v in valid_variables().items() if k != name}


def test_valid_variables_become_the_request():
    request = parse_verification_input(valid_variables(), today=TODAY)
    assert request.applicant_id == "A-1001"
    assert request.given_name == GIVEN_NAME
    assert request.family_name == FAMILY_NAME
    assert request.date_of_birth == dt.date.fromisoformat(DATE_OF_BIRTH)
    assert request.document_type is DocumentType.PASSPORT
    assert request.document_number == DOCUMENT_NUMBER
    assert request.document_country == "GB"
    assert request.image_ref == IMAGE_REF


def test_input_is_normalised_integer_id_stripped_text_upper_case_country():
    variables = valid_variables(applicantId=1001)
    variables["applicant"]["givenName"] = "  Ada  "
    variables["document"].update(country="fr", number=" X1 ", imageRef=None)
    request = parse_verification_input(variables, today=TODAY)
    assert request.applicant_id == "1001"
    assert request.given_name == "Ada"
    assert request.document_number == "X1"
    assert request.document_country == "FR"
    assert request.image_ref is None


def test_the_fetched_variables_are_exactly_the_three_inputs():
    assert INPUT_VARIABLES == ("applicantId", "applicant", "document")


def test_extra_keys_inside_the_objects_are_ignored():
    variables = with_applicant(middleName="X")
    variables["document"]["issuedOn"] = "2020-01-01"
    assert parse_verification_input(variables, today=TODAY).given_name == GIVEN_NAME


@pytest.mark.parametrize(
    ("variables", "variable", "rule"),
    [
        (dropped("applicantId"), "applicantId", "is missing"),
        (valid_variables(applicantId=None), "applicantId", "is missing"),
        (valid_variables(applicantId=True), "applicantId", "integer or a non-blank string"),
        (valid_variables(applicantId=12.5), "applicantId", "integer or a non-blank string"),
        (valid_variables(applicantId="   "), "applicantId", "non-blank"),
        (valid_variables(applicantId="x" * 129), "applicantId", "at most 128"),
        (dropped("applicant"), "applicant", "is missing"),
        (valid_variables(applicant="Ada Lovelace"), "applicant", "must be an object"),
        (valid_variables(applicant=[1]), "applicant", "must be an object"),
        (without("applicant", "givenName"), "applicant.givenName", "is missing"),
        (with_applicant(givenName=7), "applicant.givenName", "must be a string"),
        (with_applicant(familyName=""), "applicant.familyName", "1 to 200 printable"),
        (with_applicant(familyName="x" * 201), "applicant.familyName", "1 to 200 printable"),
        (with_applicant(familyName="a\x00b"), "applicant.familyName", "printable"),
        (without("applicant", "dateOfBirth"), "applicant.dateOfBirth", "missing"),
        (with_applicant(dateOfBirth="23/11/1987"), "applicant.dateOfBirth", "YYYY-MM-DD"),
        (with_applicant(dateOfBirth="19871123"), "applicant.dateOfBirth", "YYYY-MM-DD"),
        (with_applicant(dateOfBirth=19871123), "applicant.dateOfBirth", "YYYY-MM-DD"),
        (with_applicant(dateOfBirth="1987-02-30"), "applicant.dateOfBirth", "not a calendar date"),
        (with_applicant(dateOfBirth="2026-06-02"), "applicant.dateOfBirth", "and today"),
        (with_applicant(dateOfBirth="1899-12-31"), "applicant.dateOfBirth", "between 1900-01-01"),
        (dropped("document"), "document", "is missing"),
        (valid_variables(document="passport"), "document", "must be an object"),
        (without("document", "type"), "document.type", "one of passport, id_card"),
        (with_document(type="PASSPORT"), "document.type", "one of passport"),
        (with_document(type=["passport"]), "document.type", "one of passport"),
        (with_document(number=4471902), "document.number", "must be a string"),
        (with_document(number="x" * 65), "document.number", "1 to 64"),
        (without("document", "country"), "document.country", "is missing"),
        (with_document(country="UK"), "document.country", "ISO 3166-1 alpha-2"),
        (with_document(country="GBR"), "document.country", "ISO 3166-1 alpha-2"),
        (with_document(imageRef=12), "document.imageRef", "must be a string"),
    ],
)  # fmt: skip
def test_invalid_input_names_the_variable_and_the_rule(variables, variable, rule):
    with pytest.raises(InvalidVariablesError) as caught:
        parse_verification_input(variables, today=TODAY)
    assert caught.value.variable == variable
    message = str(caught.value)
    assert message.startswith(f"input variable {variable} ")
    assert rule in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "variables",
    [
        with_applicant(dateOfBirth=DATE_OF_BIRTH.replace("-", "/")),
        with_applicant(familyName=FAMILY_NAME * 20),
        with_document(number=DOCUMENT_NUMBER * 10),
        with_document(country=GIVEN_NAME),
        with_document(type=DOCUMENT_NUMBER),
    ],
)
def test_error_messages_never_quote_the_value(variables):
    with pytest.raises(InvalidVariablesError) as caught:
        parse_verification_input(variables, today=TODAY)
    for value in (*PERSONAL_VALUES, DATE_OF_BIRTH.replace("-", "/")):
        assert value not in str(caught.value)
    assert not re.search(r"'[^']*'", str(caught.value))
