"""The parser's cursor over tokens, and FEEL's textual constructs.

``if c then a else b``, ``for x in xs return e``, ``some``/``every x in xs satisfies c``,
``function(a, b) body`` and context literals ``{key: value}``. `Parser` (in `parser`) adds
the operators and primaries on top.
"""

from abc import ABC, abstractmethod

from zeebe_devengine.errors import FeelSyntaxError
from zeebe_devengine.feel.ast import (
    ContextLiteral,
    For,
    FunctionDefinition,
    If,
    Iteration,
    Node,
    Quantified,
)
from zeebe_devengine.feel.lexer import Token, unescape
from zeebe_devengine.feel.names import KEYWORDS, LONGEST

#: Deeper nesting than this is refused (and keeps evaluation far from Python's recursion limit).
MAX_DEPTH = 64


class TextualParser(ABC):
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @abstractmethod
    def expression(self) -> Node: ...

    # -- the cursor -----------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def accept(self, kind: str, text: str) -> bool:
        token = self.peek()
        if token.kind == kind and token.text == text:
            self.advance()
            return True
        return False

    def expect_op(self, text: str) -> None:
        if not self.accept("op", text):
            raise self.unexpected(f"'{text}'")

    def expect_word(self, word: str) -> None:
        if not self.accept("name", word):
            raise self.unexpected(f"'{word}'")

    def expect_end(self) -> None:
        token = self.peek()
        if token.kind != "end":
            msg = f"unexpected '{token.text}' at position {token.position}"
            raise FeelSyntaxError(msg)

    def unexpected(self, wanted: str) -> FeelSyntaxError:
        token = self.peek()
        found = "the end of the expression" if token.kind == "end" else f"'{token.text}'"
        return FeelSyntaxError(f"expected {wanted} but found {found} at position {token.position}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            msg = f"expression nested deeper than {MAX_DEPTH} levels"
            raise FeelSyntaxError(msg)

    def joined_words(self, known: frozenset[str], before: str | None = None) -> str | None:
        """The longest run of name tokens forming one of `known` (then followed by `before`)."""
        for count in range(LONGEST, 0, -1):
            words = [self.peek(ahead) for ahead in range(count)]
            if any(token.kind != "name" for token in words):
                continue
            joined = " ".join(token.text for token in words)
            if joined not in known:
                continue
            if before is not None and self.peek(count).text != before:
                continue
            self.index += count
            return joined
        return None

    def key_words(self) -> str:
        """A context key or argument name: a string, a backtick name, or words before ':'."""
        token = self.advance()
        if token.kind == "string":
            return unescape(token.text[1:-1])
        if token.kind == "qname":
            return token.text
        if token.kind != "name":
            msg = f"expected a name at position {token.position}"
            raise FeelSyntaxError(msg)
        words = [token.text]
        while self.peek().kind == "name":
            words.append(self.advance().text)
        return " ".join(words)

    def named_argument_ahead(self) -> bool:
        ahead = 0
        while self.peek(ahead).kind == "name":
            ahead += 1
        return ahead > 0 and self.peek(ahead).text == ":" and self.peek(ahead).kind == "op"

    # -- textual constructs ---------------------------------------------------------------

    def textual(self, word: str) -> Node | None:
        if word == "if":
            self.advance()
            condition = self.expression()
            self.expect_word("then")
            then = self.expression()
            self.expect_word("else")
            return If(condition, then, self.expression())
        if word == "for":
            self.advance()
            iterations = self._iterations()
            self.expect_word("return")
            return For(iterations, self.expression())
        if word in {"some", "every"}:
            self.advance()
            iterations = self._iterations()
            self.expect_word("satisfies")
            return Quantified(word, iterations, self.expression())
        if word == "function" and self.peek(1).text == "(":
            self.advance()
            return self.function_definition()
        return None

    def _iterations(self) -> tuple[Iteration, ...]:
        iterations: list[Iteration] = []
        while True:
            token = self.advance()
            if token.kind not in {"name", "qname"} or (
                token.kind == "name" and token.text in KEYWORDS
            ):
                msg = f"expected a variable name at position {token.position}"
                raise FeelSyntaxError(msg)
            self.expect_word("in")
            collection = self.expression()
            end = self.expression() if self.accept("op", "..") else None
            iterations.append(Iteration(token.text, collection, end))
            if not self.accept("op", ","):
                return tuple(iterations)

    def function_definition(self) -> Node:
        self.expect_op("(")
        params: list[str] = []
        while not self.accept("op", ")"):
            if params:
                self.expect_op(",")
            token = self.advance()
            if token.kind not in {"name", "qname"}:
                msg = f"expected a parameter name at position {token.position}"
                raise FeelSyntaxError(msg)
            params.append(token.text)
        return FunctionDefinition(tuple(params), self.expression())

    def context_literal(self) -> Node:
        """After '{': entries ``key: value`` separated by commas, then '}'."""
        entries: list[tuple[str, Node]] = []
        if self.accept("op", "}"):
            return ContextLiteral(())
        while True:
            key = self.key_words()
            self.expect_op(":")
            entries.append((key, self.expression()))
            if not self.accept("op", ","):
                break
        self.expect_op("}")
        return ContextLiteral(tuple(entries))
