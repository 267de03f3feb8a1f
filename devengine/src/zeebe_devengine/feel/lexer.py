"""FEEL's tokens: numbers, strings, names (plain or in backticks), operators, comments.

Names here are single words; the parser joins the words of built-in function names that
contain spaces (``date and time``, ``get or else``) and of named arguments.
"""

import re
from dataclasses import dataclass

from zeebe_devengine.errors import FeelSyntaxError

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<number>\d+(?:\.\d+)?(?![.\d])|\d+(?=\.\.)|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>\*\*|\.\.|<=|>=|!=|[=<>+\-*/().,\[\]{}:@?])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "'": "'"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number | string | name | qname (in backticks) | op | end
    text: str
    position: int


def unescape(body: str) -> str:
    """The value of a string literal's body (between the quotes)."""
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        code = body[index + 1]
        if code == "u":
            digits = body[index + 2 : index + 6]
            if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                msg = "invalid \\u escape in a string literal"
                raise FeelSyntaxError(msg)
            out.append(chr(int(digits, 16)))
            index += 6
            continue
        # Other escapes stay as written: regular expressions ("\\d{3}") need their backslash.
        out.append(_ESCAPES.get(code, "\\" + code))
        index += 2
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            if char == '"':
                msg = "unterminated string literal"
            elif char == "`":
                msg = "unterminated backtick name"
            elif text.startswith("/*", position):
                msg = "unterminated comment"
            else:
                msg = f"unexpected character {char!r} at position {position}"
            raise FeelSyntaxError(msg)
        kind = match.lastgroup or ""
        if kind == "backtick":
            tokens.append(Token("qname", match.group()[1:-1], position))
        elif kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens
