"""Secrets never reach a log line: every line is scrubbed on its way to the stream.

Third-party libraries log what they like at debug level: `requests_oauthlib` logs the token
request's headers (``Authorization: Basic base64(client id:secret)``), its body (the secret
itself in SaaS mode) and the access token it obtained. Filtering per logger misses the next
library that does the same, so the one stream every log line goes through (structlog's and the
stdlib root handler's alike) is wrapped: `ScrubbingStream` passes each line through
`SecretScrubber`, which masks

- credentials by shape: an ``Authorization`` header's value, ``Basic``/``Bearer`` credentials,
  and the values of token, secret, password and key fields in headers, JSON, dict reprs and
  form bodies (JSON-escaped quotes included, as the JSON renderer writes them);
- known values: the secrets the settings hold (client secret, API key, database password),
  in every form a line may carry them (as is, JSON-escaped, repr-escaped, URL-encoded).
"""

import io
import json
import re
import sys
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

MASK = "***"

#: A field whose value is a credential, by name (case-insensitive, as a whole word).
_FIELDS = (
    r"access_token|refresh_token|id_token|token|client_secret|secret|password|passwd"
    r"|api_key|apikey|x-api-key|private_key"
)
#: name, then the quote/colon/equals between it and the value (JSON-escaped quotes allowed).
_FIELD_VALUE = re.compile(
    rf"""(?ix)
    (?P<head>\b(?:{_FIELDS})(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)
    (?P<value>(?:bearer\s+|basic\s+)?[^\s"'\\&,;}}\])]+)
    """
)
_AUTHORIZATION = re.compile(
    r"""(?ix)
    (?P<head>\b(?:proxy-)?authorization(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)
    (?P<value>(?:[a-z]+\s+)?[^\s"'\\,;}]+)
    """
)
_SCHEME_CREDENTIALS = re.compile(
    r"(?i)\b(?P<head>basic|bearer)\s+(?P<value>[A-Za-z0-9._~+/=-]{8,})"
)
#: Known secrets shorter than this are not matched by value (they would mask ordinary words).
_MIN_KNOWN_LENGTH = 4


def _masked(match: re.Match[str]) -> str:
    return f"{match.group('head')}{MASK}"


def _masked_scheme(match: re.Match[str]) -> str:
    return f"{match.group('head')} {MASK}"


class SecretScrubber:
    """Masks credentials in text, by shape and by known value."""

    def __init__(self) -> None:
        self._known: list[str] = []

    def add(self, *secrets: str | None) -> None:
        """Mask these values wherever they appear, in any of the forms a log line uses."""
        forms = set(self._known)
        for secret in secrets:
            if not secret or len(secret) < _MIN_KNOWN_LENGTH:
                continue
            forms |= {
                secret,
                json.dumps(secret)[1:-1],
                repr(secret)[1:-1],
                quote(secret, safe=""),
                quote_plus(secret),
            }
        self._known = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._known:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _AUTHORIZATION.sub(_masked, text)
        text = _FIELD_VALUE.sub(_masked, text)
        return _SCHEME_CREDENTIALS.sub(_masked_scheme, text)


#: The process's one scrubber: `configure_logging` puts it on the log stream, and whoever
#: holds a secret's settings adds the value (`add_secrets`).
SCRUBBER = SecretScrubber()


def add_secrets(*secrets: str | None) -> None:
    SCRUBBER.add(*secrets)


class ScrubbingStream(io.TextIOBase):
    """A text stream that scrubs what is written to it before passing it on."""

    def __init__(self, stream: TextIO | Any, scrubber: SecretScrubber = SCRUBBER) -> None:
        super().__init__()
        self.stream = stream
        self._scrubber = scrubber

    def write(self, text: str) -> int:
        if getattr(self.stream, "closed", False):
            # Logging must never raise into its caller: a target closed under us (a test
            # runner's capture) gives way to the process's own stderr.
            self.stream = sys.__stderr__ or sys.stderr
        self.stream.write(self._scrubber(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())
