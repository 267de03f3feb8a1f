"""Variable documents that Zeebe would refuse are refused where they come in.

A lone surrogate cannot be encoded as UTF-8 (so no job carrying it could ever be activated),
and a document nested too deep breaks the engine later (Python's recursion limit): both are
INVALID_ARGUMENT at the call that brings them, never a stalled job.
"""

import json

import pytest
from zeebe_devengine.core.variables import MAX_NESTING_DEPTH, parse_document
from zeebe_devengine.errors import InvalidArgumentError


def nested(depth: int) -> str:
    """A document whose deepest value sits `depth` containers down (the root counts as 1)."""
    return '{"a":' + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "}"


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "\\ud800"}',
        '{"\\udfff": 1}',
        '{"list": ["ok", {"deep": "x\\udc00y"}]}',
    ],
)
def test_lone_surrogates_are_refused(text: str) -> None:
    with pytest.raises(InvalidArgumentError, match="lone surrogate"):
        parse_document(text)


def test_surrogate_pairs_are_characters_and_pass() -> None:
    assert parse_document('{"smile": "\\ud83d\\ude00"}') == {"smile": "\U0001f600"}


def test_nesting_up_to_the_limit_passes_and_deeper_is_refused() -> None:
    document = parse_document(nested(MAX_NESTING_DEPTH))
    assert json.dumps(document).count("[") == MAX_NESTING_DEPTH - 1
    with pytest.raises(InvalidArgumentError, match=f"nested deeper than {MAX_NESTING_DEPTH}"):
        parse_document(nested(MAX_NESTING_DEPTH + 1))


@pytest.mark.parametrize("depth", [975, 1000, 100_000])
def test_documents_deep_enough_to_break_the_engine_are_refused_with_the_same_message(
    depth: int,
) -> None:
    with pytest.raises(InvalidArgumentError, match="nested deeper than"):
        parse_document(nested(depth))
