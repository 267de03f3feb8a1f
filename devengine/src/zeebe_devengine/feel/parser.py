"""FEEL's grammar: expressions (BPMN attributes starting with ``=``) and unary tests (DMN).

Precedence, loosest first, as in feel-scala: ``if``/``for``/``some``/``every``/``function``;
``or``; ``and``; comparisons, ``between``, ``in``, ``instance of``; ``+ -``; ``* /``; ``**``;
unary minus; then paths (``a.b``), filters (``a[...]``) and calls (``f(...)``).

Built-in function names with spaces (``date and time(...)``) are joined here, so the
conjunction ``date and time`` and the function are told apart by the ``(`` that follows.
Syntax errors raise FeelSyntaxError, so a model is rejected at deploy time.
"""

from dataclasses import dataclass
from decimal import Decimal

from zeebe_devengine.errors import FeelSyntaxError
from zeebe_devengine.feel import names
from zeebe_devengine.feel.ast import (
    Arithmetic,
    Between,
    Call,
    Comparison,
    Filter,
    In,
    InstanceOf,
    ListLiteral,
    Literal,
    Logical,
    Name,
    Negate,
    Node,
    Path,
    RangeLiteral,
    UnaryTests,
)
from zeebe_devengine.feel.lexer import Token, tokenize, unescape
from zeebe_devengine.feel.temporal import parse_temporal
from zeebe_devengine.feel.textual import MAX_DEPTH
from zeebe_devengine.feel.unary import COMPARISONS, UnaryTestsParser


class Parser(UnaryTestsParser):
    def __init__(self, text: str) -> None:
        super().__init__(tokenize(text))
        self._range_end = False  # ']' or '[' after a range's end closes the range

    # -- entry points ---------------------------------------------------------------------

    def parse_expression(self) -> Node:
        node = self.expression()
        self.expect_end()
        return node

    # -- operators ------------------------------------------------------------------------

    def expression(self) -> Node:
        self.enter()
        try:
            return self.disjunction()
        finally:
            self.depth -= 1

    def disjunction(self) -> Node:
        node = self._conjunction()
        while self.accept("name", "or"):
            node = Logical("or", node, self._conjunction())
        return node

    def _conjunction(self) -> Node:
        node = self._comparison()
        while self.accept("name", "and"):
            node = Logical("and", node, self._comparison())
        return node

    def _comparison(self) -> Node:
        node = self.additive()
        token = self.peek()
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            node = Comparison(token.text, node, self.additive())
        elif self.accept("name", "between"):
            low = self.additive()
            self.expect_word("and")
            node = Between(node, low, self.additive())
        elif self.accept("name", "in"):
            node = In(node, self.in_tests())
        elif self.accept("name", "instance"):
            self.expect_word("of")
            node = InstanceOf(node, self._type_name())
        following = self.peek()
        if following.kind == "op" and following.text in COMPARISONS:
            msg = "chained comparisons are not valid FEEL; use 'and'"
            raise FeelSyntaxError(msg)
        return node

    def _type_name(self) -> str:
        words = self.joined_words(names.TYPES)
        if words is None:
            token = self.peek()
            msg = f"expected a type name after 'instance of' at position {token.position}"
            raise FeelSyntaxError(msg)
        return words

    def additive(self) -> Node:
        node = self._multiplicative()
        while (token := self.peek()).kind == "op" and token.text in {"+", "-"}:
            self.advance()
            node = Arithmetic(token.text, node, self._multiplicative())
        return node

    def _multiplicative(self) -> Node:
        node = self._power()
        while (token := self.peek()).kind == "op" and token.text in {"*", "/"}:
            self.advance()
            node = Arithmetic(token.text, node, self._power())
        return node

    def _power(self) -> Node:
        node = self._unary()
        while self.accept("op", "**"):
            node = Arithmetic("**", node, self._unary())
        return node

    def _unary(self) -> Node:
        if self.accept("op", "-"):
            self.enter()
            try:
                return Negate(self._unary())
            finally:
                self.depth -= 1
        return self._postfix(self._primary())

    def _postfix(self, node: Node) -> Node:
        while True:
            if self.accept("op", "."):
                node = Path(node, self._property())
            elif not self._range_end and self.accept("op", "["):
                condition = self.expression()
                self.expect_op("]")
                node = Filter(node, condition)
            elif self.peek().kind == "op" and self.peek().text == "(":
                node = self.call(node)
            else:
                return node

    def _property(self) -> str:
        token = self.advance()
        if token.kind == "qname":
            return token.text
        if token.kind != "name":
            msg = f"expected a name after '.' at position {token.position}"
            raise FeelSyntaxError(msg)
        following = self.peek()
        if following.kind == "name" and f"{token.text} {following.text}" in names.PROPERTIES:
            self.advance()
            return f"{token.text} {following.text}"
        return token.text

    # -- primaries ------------------------------------------------------------------------

    def _primary(self) -> Node:
        token = self.peek()
        if token.kind == "number":
            self.advance()
            return Literal(Decimal(token.text))
        if token.kind == "string":
            self.advance()
            return Literal(unescape(token.text[1:-1]))
        if token.kind == "qname":
            self.advance()
            return Name(token.text)
        if token.kind == "name":
            return self._word(token)
        if token.kind == "op":
            return self._bracketed(token)
        msg = "the expression is incomplete"
        raise FeelSyntaxError(msg)

    def _bracketed(self, token: Token) -> Node:  # noqa: PLR0911 - one return per bracket
        self.advance()
        if token.text == "(":
            node = self.expression()
            if self.accept("op", ".."):
                return self.range_rest(node, start_closed=False)
            self.expect_op(")")
            return node
        if token.text == "[":
            return self._list_or_range()
        if token.text == "]":
            return self.range_rest(self.expression(), start_closed=False, expect_dots=True)
        if token.text == "{":
            return self.context_literal()
        if token.text == "@":
            return self._temporal_literal()
        if token.text == "?":
            self.uses_input = True
            return Name("?")
        msg = f"unexpected '{token.text}' at position {token.position}"
        raise FeelSyntaxError(msg)

    def _list_or_range(self) -> Node:
        if self.accept("op", "]"):
            return ListLiteral(())
        first = self.expression()
        if self.accept("op", ".."):
            return self.range_rest(first, start_closed=True)
        items = [first]
        while self.accept("op", ","):
            items.append(self.expression())
        self.expect_op("]")
        return ListLiteral(tuple(items))

    def range_rest(self, start: Node, *, start_closed: bool, expect_dots: bool = False) -> Node:
        if expect_dots:
            self.expect_op("..")
        self._range_end = True
        try:
            end = self.expression()
        finally:
            self._range_end = False
        closing = self.advance()
        if closing.kind != "op" or closing.text not in {"]", ")", "["}:
            msg = f"expected ']', ')' or '[' to close the range at position {closing.position}"
            raise FeelSyntaxError(msg)
        return RangeLiteral(start, start_closed, end, end_closed=closing.text == "]")

    def _temporal_literal(self) -> Node:
        token = self.advance()
        if token.kind != "string":
            msg = f"expected a string after '@' at position {token.position}"
            raise FeelSyntaxError(msg)
        text = unescape(token.text[1:-1])
        try:
            return Literal(parse_temporal(text))
        except ValueError as exc:
            msg = f'invalid temporal literal @"{text}": {exc}'
            raise FeelSyntaxError(msg) from None

    def _word(self, token: Token) -> Node:
        function = self.joined_words(names.FUNCTIONS, before="(")
        if function is not None:
            return Name(function)
        word = token.text
        if word in {"true", "false", "null"}:
            self.advance()
            return Literal(None if word == "null" else word == "true")
        if word in {"and", "or"} and self.peek(1).text == "(":
            self.advance()  # the list functions and() and or()
            return Name(word)
        textual = self.textual(word)
        if textual is not None:
            return textual
        if word in names.KEYWORDS:
            msg = f"unexpected '{word}' at position {token.position}"
            raise FeelSyntaxError(msg)
        self.advance()
        return Name(word)

    def call(self, function: Node) -> Node:
        self.expect_op("(")
        if self.accept("op", ")"):
            return Call(function, ())
        if self.named_argument_ahead():
            named: list[tuple[str, Node]] = []
            while True:
                key = self.key_words()
                self.expect_op(":")
                named.append((key, self.expression()))
                if not self.accept("op", ","):
                    break
            self.expect_op(")")
            return Call(function, (), tuple(named))
        args = [self.expression()]
        while self.accept("op", ","):
            args.append(self.expression())
        self.expect_op(")")
        return Call(function, tuple(args))


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed expression and its source text (without the leading ``=``)."""

    text: str
    tree: Node


def parse(text: str) -> Expression:
    """Parse FEEL `text` (without the leading ``=``); raises FeelSyntaxError."""
    if not text.strip():
        msg = "the expression is empty"
        raise FeelSyntaxError(msg)
    try:
        return Expression(text.strip(), Parser(text).parse_expression())
    except RecursionError:
        msg = f"expression nested deeper than {MAX_DEPTH} levels"
        raise FeelSyntaxError(msg) from None


def is_expression(value: str) -> bool:
    """BPMN attribute values starting with '=' are FEEL expressions, anything else is static."""
    return value.lstrip().startswith("=")


def parse_attribute(value: str) -> Expression:
    """Parse a BPMN attribute holding ``= expression``."""
    return parse(value.lstrip()[1:])


def parse_unary_tests(text: str) -> UnaryTests:
    """Parse DMN unary tests (an input entry): ``-``, ``< 5``, ``[1..5]``, ``"a","b"``,
    ``not(...)``, or an expression using ``?``. Empty text means any input, as ``-``."""
    if not text.strip():
        return UnaryTests(())
    try:
        return Parser(text).parse_unary_tests()
    except RecursionError:
        msg = f"expression nested deeper than {MAX_DEPTH} levels"
        raise FeelSyntaxError(msg) from None
