"""String built-ins: substring, length, case, search, regular expressions, split, trim."""

import base64
import re
import uuid
from decimal import Decimal
from typing import Any

from zeebe_devengine.feel.builtins.registry import builtin, integer, string
from zeebe_devengine.feel.values import InvalidArgument

_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}


def _start(text: str, start: Any) -> int:
    position = integer(start)
    if position == 0 or abs(position) > len(text) + (1 if position > 0 else 0):
        msg = f"start position {position} is outside the string"
        raise InvalidArgument(msg)
    return position - 1 if position > 0 else len(text) + position


@builtin("substring", "string", "start position")
def _substring(text: Any, start: Any) -> str:
    return string(text)[_start(text, start) :]


@builtin("substring", "string", "start position", "length")
def _substring_length(text: Any, start: Any, length: Any) -> str:
    source = string(text)
    begin = _start(source, start)
    return source[begin : begin + integer(length)]


@builtin("string length", "string")
def _length(text: Any) -> Decimal:
    return Decimal(len(string(text)))


@builtin("upper case", "string")
def _upper(text: Any) -> str:
    return string(text).upper()


@builtin("lower case", "string")
def _lower(text: Any) -> str:
    return string(text).lower()


@builtin("substring before", "string", "match")
def _before(text: Any, match: Any) -> str:
    head, found, _ = string(text).partition(string(match))
    return head if found else ""


@builtin("substring after", "string", "match")
def _after(text: Any, match: Any) -> str:
    if string(match) == "":
        return string(text)
    _, found, tail = string(text).partition(match)
    return tail if found else ""


@builtin("contains", "string", "match")
def _contains(text: Any, match: Any) -> bool:
    return string(match) in string(text)


@builtin("starts with", "string", "match")
def _starts(text: Any, match: Any) -> bool:
    return string(text).startswith(string(match))


@builtin("ends with", "string", "match")
def _ends(text: Any, match: Any) -> bool:
    return string(text).endswith(string(match))


def _pattern(pattern: Any, flags: Any = "") -> re.Pattern[str]:
    """A regular expression in the XPath/Java dialect FEEL uses (flags s, m, i, x, q)."""
    options = 0
    source = string(pattern)
    for flag in string(flags):
        if flag == "q":
            source = re.escape(source)
        elif flag in _FLAGS:
            options |= _FLAGS[flag]
        else:
            msg = f"unknown regular expression flag '{flag}'"
            raise InvalidArgument(msg)
    return re.compile(source, options)


@builtin("matches", "input", "pattern")
def _matches(text: Any, pattern: Any) -> bool:
    return _pattern(pattern).search(string(text)) is not None


@builtin("matches", "input", "pattern", "flags")
def _matches_flags(text: Any, pattern: Any, flags: Any) -> bool:
    return _pattern(pattern, flags).search(string(text)) is not None


def _java_replacement(replacement: str) -> str:
    """Java's ``$1`` group references, as Python's ``\\g<1>``."""
    escaped = replacement.replace("\\", "\\\\")
    return re.sub(r"\$(\d+)", r"\\g<\1>", escaped)


@builtin("replace", "input", "pattern", "replacement")
def _replace(text: Any, pattern: Any, replacement: Any) -> str:
    return _pattern(pattern).sub(_java_replacement(string(replacement)), string(text))


@builtin("replace", "input", "pattern", "replacement", "flags")
def _replace_flags(text: Any, pattern: Any, replacement: Any, flags: Any) -> str:
    compiled = _pattern(pattern, flags)
    return compiled.sub(_java_replacement(string(replacement)), string(text))


@builtin("split", "string", "delimiter")
def _split(text: Any, delimiter: Any) -> list[str]:
    return _pattern(delimiter).split(string(text))


@builtin("extract", "string", "pattern")
def _extract(text: Any, pattern: Any) -> list[str]:
    return [match.group(0) for match in _pattern(pattern).finditer(string(text))]


@builtin("trim", "string")
def _trim(text: Any) -> str:
    return string(text).strip()


@builtin("uuid")
def _uuid() -> str:
    return str(uuid.uuid4())


@builtin("to base64", "value")
def _to_base64(text: Any) -> str:
    return base64.b64encode(string(text).encode()).decode()


@builtin("is blank", "string")
def _is_blank(text: Any) -> bool:
    return string(text).strip() == ""
