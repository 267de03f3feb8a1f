"""Secrets are masked on the log stream, by shape and by known value (issue 16, item 2)."""

import io
import json
import logging

import pytest
import structlog

from workers.log_secrets import MASK, ScrubbingStream, SecretScrubber
from workers.logs import configure_logging
from workers.settings import LoggingSettings


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("Request headers were {'Authorization': 'Basic Y2xpZW50OnNlY3JldA==', 'A': 'b'}",
         "Y2xpZW50OnNlY3JldA=="),
        ("body grant_type=client_credentials&client_secret=p4ss-word&audience=z", "p4ss-word"),
        ("Obtained token {'access_token': 'eyJ.abc.def', 'token_type': 'Bearer'}", "eyJ.abc.def"),
        ('{"event": "content {\\"access_token\\": \\"tok-123\\", \\"expires_in\\": 30}"}',
         "tok-123"),
        ("authorization: Bearer abcdefghijkl", "abcdefghijkl"),
        ("sent Bearer abcdefghijkl upstream", "abcdefghijkl"),
        ("{'refresh_token': 'r-1-2-3', 'id_token': 'i-1-2-3'}", "r-1-2-3"),
        ("x-api-key=key-9f8e7d", "key-9f8e7d"),
    ],
)  # fmt: skip
def test_credentials_are_masked_by_shape(line, secret):
    scrubbed = SecretScrubber()(line)
    assert secret not in scrubbed
    assert MASK in scrubbed


def test_known_secrets_are_masked_in_every_form_a_line_carries_them():
    scrubber = SecretScrubber()
    scrubber.add('we"ird/sec ret', None, "ab")
    for form in (
        'we"ird/sec ret',
        'we\\"ird/sec ret',
        "we%22ird%2Fsec%20ret",
        "we%22ird%2Fsec+ret",
    ):
        assert scrubber(f"x {form} y") == f"x {MASK} y"
    assert scrubber("ab stays") == "ab stays"  # too short to match by value


def test_ordinary_lines_pass_unchanged():
    scrubber = SecretScrubber()
    for line in ("token_type Bearer", "max tokens 5", "password policy ok", "secrets: none"):
        assert scrubber(line) == line


def test_third_party_debug_lines_are_scrubbed_at_the_root_handler():
    out = io.StringIO()
    configure_logging(
        LoggingSettings(format="json", level="debug", redact_keys=frozenset()), stream=out
    )
    logging.getLogger("requests_oauthlib.oauth2_session").debug(
        "Request headers were %s", {"Authorization": "Basic Y2xpZW50OnNlY3JldA=="}
    )
    structlog.get_logger("t").info("ours", detail="Bearer abcdefghijkl")
    text = out.getvalue()
    assert "Y2xpZW50OnNlY3JldA==" not in text
    assert "abcdefghijkl" not in text
    assert [json.loads(line)["event"].split(" ")[0] for line in text.splitlines()] == [
        "Request",
        "ours",
    ]


def test_the_stream_passes_writes_through_scrubbed():
    target = io.StringIO()
    stream = ScrubbingStream(target, SecretScrubber())
    assert stream.write("client_secret=abc123\n") == len("client_secret=abc123\n")
    stream.flush()
    assert target.getvalue() == f"client_secret={MASK}\n"
    assert stream.isatty() is False
