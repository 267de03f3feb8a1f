"""FEEL subset: parse an expression into a small tree (evaluation is in `feel.evaluate`).

Supported: literals (numbers, "strings", true, false, null), names and dotted paths
(``applicant.address.city``), comparisons (``= != < <= > >=``), ``and``, ``or``, ``not(x)``,
arithmetic (``+ - * / **``, unary minus) and parentheses. Everything else FEEL has (lists,
contexts, ``if``/``for``/``some``/``every``, ``in``, ``between``, ranges, function calls
other than ``not``, names with spaces) is refused here with a FeelSyntaxError naming the
construct, so a model that uses it is rejected at deploy time instead of misbehaving later.

Expressions in BPMN start with ``=``; `parse` takes the text after it.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zeebe_devengine.errors import FeelSyntaxError

#: Deeper nesting than this is refused (and keeps evaluation far from Python's recursion limit).
MAX_DEPTH = 64

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|<=|>=|!=|[=<>+\-*/().,])
    """,
    re.VERBOSE,
)
_RESERVED = {
    "if": "if-then-else expressions",
    "then": "if-then-else expressions",
    "else": "if-then-else expressions",
    "for": "for loops",
    "return": "for loops",
    "some": "quantified expressions (some)",
    "every": "quantified expressions (every)",
    "satisfies": "quantified expressions",
    "in": "the 'in' operator",
    "between": "the 'between' operator",
    "instance": "'instance of' checks",
    "of": "'instance of' checks",
    "function": "function definitions",
}
_UNSUPPORTED_CHARS = {
    "[": "lists and filters ('[')",
    "]": "lists and filters (']')",
    "{": "context literals ('{')",
    "}": "context literals ('}')",
    "`": "backtick names",
    "'": "single-quoted names",
    ":": "context entries (':')",
    "@": "temporal literals ('@')",
    "?": "the '?' name",
}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "'": "'"}


# -- syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # Decimal | str | bool | None


@dataclass(frozen=True, slots=True)
class Name:
    name: str


@dataclass(frozen=True, slots=True)
class Path:
    base: "Node"
    key: str


@dataclass(frozen=True, slots=True)
class Negate:
    operand: "Node"


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Node"


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: str  # + - * / **
    left: "Node"
    right: "Node"


@dataclass(frozen=True, slots=True)
class Comparison:
    op: str  # = != < <= > >=
    left: "Node"
    right: "Node"


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # and | or
    left: "Node"
    right: "Node"


Node = Literal | Name | Path | Negate | Not | Arithmetic | Comparison | Logical


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed expression and its source text (without the leading ``=``)."""

    text: str
    tree: Node


# -- lexer ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number | string | name | op | end
    text: str
    position: int


def _unescape(body: str) -> str:
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
        if code not in _ESCAPES:
            msg = f"unknown escape '\\{code}' in a string literal"
            raise FeelSyntaxError(msg)
        out.append(_ESCAPES[code])
        index += 2
    return "".join(out)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            if char == '"':
                msg = "unterminated string literal"
                raise FeelSyntaxError(msg)
            what = _UNSUPPORTED_CHARS.get(char)
            if what is not None:
                msg = f"{what} are not supported by the dev engine's FEEL subset"
                raise FeelSyntaxError(msg)
            msg = f"unexpected character {char!r} at position {position}"
            raise FeelSyntaxError(msg)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# -- parser ---------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._index = 0
        self._depth = 0

    def parse(self) -> Node:
        node = self._disjunction()
        token = self._peek()
        if token.kind != "end":
            raise _unexpected(token)
        return node

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _advance(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _accept(self, kind: str, text: str | None = None) -> bool:
        token = self._peek()
        if token.kind == kind and (text is None or token.text == text):
            self._index += 1
            return True
        return False

    def _expect_op(self, text: str) -> None:
        if not self._accept("op", text):
            token = self._peek()
            if token.kind == "name" and token.text in _RESERVED:
                raise _unexpected(token)
            found = "the end of the expression" if token.kind == "end" else f"'{token.text}'"
            msg = f"expected '{text}' but found {found}"
            raise FeelSyntaxError(msg)

    def _disjunction(self) -> Node:
        node = self._conjunction()
        while self._accept("name", "or"):
            node = Logical("or", node, self._conjunction())
        return node

    def _conjunction(self) -> Node:
        node = self._comparison()
        while self._accept("name", "and"):
            node = Logical("and", node, self._comparison())
        return node

    def _comparison(self) -> Node:
        node = self._additive()
        token = self._peek()
        if token.kind == "op" and token.text in {"=", "!=", "<", "<=", ">", ">="}:
            self._advance()
            node = Comparison(token.text, node, self._additive())
            following = self._peek()
            if following.kind == "op" and following.text in {"=", "!=", "<", "<=", ">", ">="}:
                msg = "chained comparisons are not valid FEEL; use 'and'"
                raise FeelSyntaxError(msg)
        return node

    def _additive(self) -> Node:
        node = self._multiplicative()
        while True:
            token = self._peek()
            if token.kind == "op" and token.text in {"+", "-"}:
                self._advance()
                node = Arithmetic(token.text, node, self._multiplicative())
            else:
                return node

    def _multiplicative(self) -> Node:
        node = self._power()
        while True:
            token = self._peek()
            if token.kind == "op" and token.text in {"*", "/"}:
                self._advance()
                node = Arithmetic(token.text, node, self._power())
            else:
                return node

    def _power(self) -> Node:
        node = self._unary()
        while self._accept("op", "**"):
            node = Arithmetic("**", node, self._unary())
        return node

    def _unary(self) -> Node:
        if self._accept("op", "-"):
            self._enter()
            try:
                return Negate(self._unary())
            finally:
                self._depth -= 1
        return self._postfix()

    def _postfix(self) -> Node:
        node = self._primary()
        while self._accept("op", "."):
            token = self._advance()
            if token.kind != "name":
                msg = f"expected a name after '.' at position {token.position}"
                raise FeelSyntaxError(msg)
            node = Path(node, token.text)
        return node

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            msg = f"expression nested deeper than {MAX_DEPTH} levels"
            raise FeelSyntaxError(msg)

    def _primary(self) -> Node:
        token = self._advance()
        if token.kind == "number":
            return Literal(Decimal(token.text))
        if token.kind == "string":
            return Literal(_unescape(token.text[1:-1]))
        if token.kind == "op" and token.text == "(":
            self._enter()
            try:
                node = self._disjunction()
                self._expect_op(")")
            finally:
                self._depth -= 1
            return node
        if token.kind == "name":
            return self._name(token)
        if token.kind == "end":
            msg = "the expression is incomplete"
            raise FeelSyntaxError(msg)
        msg = f"unexpected '{token.text}' at position {token.position}"
        raise FeelSyntaxError(msg)

    def _name(self, token: _Token) -> Node:
        word = token.text
        if word in {"true", "false"}:
            return Literal(word == "true")
        if word == "null":
            return Literal(None)
        if word in {"and", "or"}:
            msg = f"'{word}' needs an operand on its left (position {token.position})"
            raise FeelSyntaxError(msg)
        if word in _RESERVED:
            msg = f"{_RESERVED[word]} are not supported by the dev engine's FEEL subset"
            raise FeelSyntaxError(msg)
        if self._peek().kind == "op" and self._peek().text == "(":
            if word != "not":
                msg = f"function '{word}()' is not supported by the dev engine's FEEL subset"
                raise FeelSyntaxError(msg)
            self._advance()
            self._enter()
            try:
                operand = self._disjunction()
                if self._peek().text == ",":
                    msg = "not() takes exactly one argument"
                    raise FeelSyntaxError(msg)
                self._expect_op(")")
            finally:
                self._depth -= 1
            return Not(operand)
        return Name(word)


def _unexpected(token: _Token) -> FeelSyntaxError:
    if token.kind == "name" and token.text in _RESERVED:
        return FeelSyntaxError(
            f"{_RESERVED[token.text]} are not supported by the dev engine's FEEL subset"
        )
    return FeelSyntaxError(f"unexpected '{token.text}' at position {token.position}")


def parse(text: str) -> Expression:
    """Parse FEEL `text` (without the leading ``=``); raises FeelSyntaxError."""
    if not text.strip():
        msg = "the expression is empty"
        raise FeelSyntaxError(msg)
    try:
        return Expression(text.strip(), _Parser(text).parse())
    except RecursionError:
        msg = f"expression nested deeper than {MAX_DEPTH} levels"
        raise FeelSyntaxError(msg) from None


def is_expression(value: str) -> bool:
    """BPMN attribute values starting with '=' are FEEL expressions, anything else is static."""
    return value.lstrip().startswith("=")


def parse_attribute(value: str) -> Expression:
    """Parse a BPMN attribute holding ``= expression``."""
    return parse(value.lstrip()[1:])
