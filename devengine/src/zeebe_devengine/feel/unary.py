"""Unary tests: DMN input entries, and the right side of ``in``.

``-`` (any input), comparisons (``< 5``), ranges and lists (``[1..5]``, ``"a", "b"``),
``not(...)`` around a list of tests, and expressions, which compare equal to the input,
contain it (a list or a range), or decide by themselves when they mention ``?``.
"""

from abc import abstractmethod

from zeebe_devengine.feel.ast import (
    Node,
    UnaryComparison,
    UnaryExpression,
    UnaryTest,
    UnaryTests,
)
from zeebe_devengine.feel.lexer import Token
from zeebe_devengine.feel.textual import TextualParser

COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})


class UnaryTestsParser(TextualParser):
    def __init__(self, tokens: list[Token]) -> None:
        super().__init__(tokens)
        self.uses_input = False  # set when '?' is parsed

    @abstractmethod
    def additive(self) -> Node: ...

    def parse_unary_tests(self) -> UnaryTests:
        token = self.peek()
        if token.kind == "op" and token.text == "-" and self.peek(1).kind == "end":
            return UnaryTests(())
        if token.kind == "name" and token.text == "not" and self.peek(1).text == "(":
            start = self.index
            self.index += 2
            tests = self._tests_until(")")
            if self.peek().kind == "end":
                return UnaryTests(tests, negated=True)
            self.index = start  # not(...) was the start of an expression test
        tests = self._tests_until(None)
        self.expect_end()
        return UnaryTests(tests)

    # -- unary tests ----------------------------------------------------------------------

    def _tests_until(self, closing: str | None) -> tuple[UnaryTest, ...]:
        tests = [self.positive_test()]
        while self.accept("op", ","):
            tests.append(self.positive_test())
        if closing is not None:
            self.expect_op(closing)
        return tuple(tests)

    def positive_test(self) -> UnaryTest:
        token = self.peek()
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            return UnaryComparison(token.text, self.additive())
        before = self.uses_input
        self.uses_input = False
        expression = self.expression()
        test = UnaryExpression(expression, uses_input=self.uses_input)
        self.uses_input = before or self.uses_input
        return test

    def in_tests(self) -> UnaryTests:
        """The right side of ``in``: one positive test, or a parenthesised list of them."""
        if self.peek().text == "(" and self.peek().kind == "op" and not self._range_ahead():
            self.advance()
            return UnaryTests(self._tests_until(")"))
        return UnaryTests((self.positive_test(),))

    def _range_ahead(self) -> bool:
        """Whether the parenthesis at the cursor opens a range such as ``(1..5)``."""
        depth = 0
        for token in self.tokens[self.index :]:
            if token.kind != "op":
                continue
            if token.text in "([{":
                depth += 1
            elif token.text in ")]}":
                depth -= 1
                if depth == 0:
                    return False
            elif token.text == ".." and depth == 1:
                return True
        return False
