"""The tree walker behind `evaluate`: one method per kind of node.

Names resolve innermost first: iteration variables, context entries being built, function
parameters, ``item`` in filters and ``?`` in unary tests; then the process variables; then
the built-in functions (only when called).
"""

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from zeebe_devengine.feel import ast
from zeebe_devengine.feel.builtins import BUILTINS
from zeebe_devengine.feel.calls import invoke
from zeebe_devengine.feel.operators import (
    all_true,
    arithmetic,
    compare,
    equal,
    in_range,
    negate,
)
from zeebe_devengine.feel.properties import property_of
from zeebe_devengine.feel.values import Function, Range, from_json, kind, render

Lookup = Callable[[str], tuple[bool, Any]]
_MISSING_CODES = ("[NO_VARIABLE_FOUND]", "[NO_CONTEXT_ENTRY_FOUND]")


class Evaluator:
    def __init__(
        self, lookup: Lookup, warnings: list[str], clock: Callable[[], dt.datetime]
    ) -> None:
        self._lookup = lookup
        self.warnings = warnings
        self.clock = clock
        self._scopes: list[dict[str, Any]] = []

    def eval(self, node: ast.Node) -> Any:
        return _DISPATCH[type(node)](self, node)

    # One method per kind of node (the table `_DISPATCH` below maps node types to them).

    def _literal(self, node: ast.Literal) -> Any:
        return node.value

    def _name_node(self, node: ast.Name) -> Any:
        return self._name(node.name)

    def _path_node(self, node: ast.Path) -> Any:
        return self._path(self.eval(node.base), node.key)

    def _negate(self, node: ast.Negate) -> Any:
        return negate(self.eval(node.operand), self.warn)

    def _arithmetic(self, node: ast.Arithmetic) -> Any:
        return arithmetic(node.op, self.eval(node.left), self.eval(node.right), self.warn)

    def _comparison(self, node: ast.Comparison) -> Any:
        return compare(node.op, self.eval(node.left), self.eval(node.right), self.warn)

    def _if(self, node: ast.If) -> Any:
        return self.eval(node.then if self.eval(node.condition) is True else node.otherwise)

    def _in(self, node: ast.In) -> Any:
        return self.unary_tests(node.tests, self.eval(node.value))

    def _list(self, node: ast.ListLiteral) -> list[Any]:
        return [self.eval(item) for item in node.items]

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(f"[{code}] {message}")

    def _scoped(self, variables: dict[str, Any], node: ast.Node) -> Any:
        self._scopes.append(variables)
        try:
            return self.eval(node)
        finally:
            self._scopes.pop()

    # -- names and access -----------------------------------------------------------------

    def _local(self, name: str) -> tuple[bool, Any]:
        for scope in reversed(self._scopes):
            if name in scope:
                return True, scope[name]
        return False, None

    def _name(self, name: str) -> Any:
        found, value = self._local(name)
        if found:
            return value
        found, value = self._lookup(name)
        if found:
            return from_json(value)
        self.warn("NO_VARIABLE_FOUND", f"No variable found with name '{name}'")
        return None

    def _path(self, base: Any, key: str) -> Any:
        if isinstance(base, dict):
            if key in base:
                return base[key]
            available = ", ".join(f"'{name}'" for name in base)
            self.warn(
                "NO_CONTEXT_ENTRY_FOUND",
                f"No context entry found with key '{key}'. Available keys: {available}",
            )
            return None
        if isinstance(base, list):
            return [self._path(item, key) for item in base]
        if base is None:
            return None
        found, value = property_of(base, key)
        if not found:
            self.warn(
                "NO_PROPERTY_FOUND",
                f"No property found with name '{key}' of value '{render(base)}'",
            )
        return value

    def _filter(self, node: ast.Filter) -> Any:
        base = self.eval(node.base)
        if base is None:
            return None
        items = base if isinstance(base, list) else [base]
        if not items:
            return []
        kept = []
        for position, item in enumerate(items):
            scope = dict(item) if isinstance(item, dict) else {}
            scope["item"] = item
            result = self._scoped(scope, node.condition)
            if position == 0 and isinstance(result, Decimal):
                return _at(items, result)
            if result is True:
                kept.append(item)
        return kept

    # -- operators and textual constructs -------------------------------------------------

    def _logical(self, node: ast.Logical) -> bool | None:
        decisive = node.op == "or"  # true decides 'or', false decides 'and'
        left: Any = self.eval(node.left)
        if isinstance(left, bool) and left == decisive:
            return decisive
        right: Any = self.eval(node.right)
        if isinstance(right, bool) and right == decisive:
            return decisive
        if isinstance(left, bool) and isinstance(right, bool):
            return not decisive
        return None

    def _between(self, node: ast.Between) -> bool | None:
        value = self.eval(node.value)
        low = compare(">=", value, self.eval(node.low), self.warn)
        high = compare("<=", value, self.eval(node.high), self.warn)
        return all_true([low, high])

    def _instance_of(self, node: ast.InstanceOf) -> bool:
        value = self.eval(node.value)
        if node.type_name == "Any":
            return value is not None
        return kind(value) == node.type_name

    def _iterate(self, iterations: tuple[ast.Iteration, ...]) -> Iterator[dict[str, Any]]:
        """Every combination of the iteration variables, the first varying slowest."""
        if not iterations:
            yield {}
            return
        first, rest = iterations[0], iterations[1:]
        for value in self._collection(first):
            self._scopes.append({first.name: value})
            try:
                for inner in self._iterate(rest):
                    yield {first.name: value, **inner}
            finally:
                self._scopes.pop()

    def _collection(self, iteration: ast.Iteration) -> list[Any]:
        start = self.eval(iteration.collection)
        if iteration.end is not None:
            end = self.eval(iteration.end)
            if isinstance(start, Decimal) and isinstance(end, Decimal):
                step = 1 if end >= start else -1
                return [Decimal(n) for n in range(int(start), int(end) + step, step)]
            self.warn("INVALID_TYPE", f"Can't iterate from '{render(start)}' to '{render(end)}'")
            return []
        if isinstance(start, list):
            return start
        if isinstance(start, Range) and all(
            isinstance(end, Decimal) and end == end.to_integral_value()
            for end in (start.start, start.end)
        ):  # for x in [1..3]: the whole numbers of the range
            low = int(start.start) + (0 if start.start_closed else 1)
            high = int(start.end) - (0 if start.end_closed else 1)
            return [Decimal(n) for n in range(low, high + 1)]
        if start is not None:
            self.warn(
                "INVALID_TYPE", f"Expected a list to iterate over, but found '{render(start)}'"
            )
        return []

    def _for(self, node: ast.For) -> list[Any]:
        results: list[Any] = []
        for variables in self._iterate(node.iterations):
            results.append(self._scoped({**variables, "partial": list(results)}, node.body))
        return results

    def _quantified(self, node: ast.Quantified) -> bool:
        outcomes = [
            self._scoped(variables, node.condition) is True
            for variables in self._iterate(node.iterations)
        ]
        return any(outcomes) if node.kind == "some" else all(outcomes)

    def _context(self, node: ast.ContextLiteral) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        self._scopes.append(entries)
        try:
            for key, value in node.entries:
                entries[key] = self.eval(value)
        finally:
            self._scopes.pop()
        return dict(entries)

    def _range(self, node: ast.RangeLiteral) -> Range:
        start = None if node.start is None else self.eval(node.start)
        end = None if node.end is None else self.eval(node.end)
        return Range(start, node.start_closed, end, node.end_closed)

    # -- functions ------------------------------------------------------------------------

    def _function(self, node: ast.FunctionDefinition) -> Function:
        captured = list(self._scopes)

        def body(*args: Any) -> Any:
            saved = self._scopes
            self._scopes = [*captured, dict(zip(node.params, args, strict=True))]
            try:
                return self.eval(node.body)
            finally:
                self._scopes = saved

        return Function("anonymous", node.params, body)

    def _call(self, node: ast.Call) -> Any:
        if isinstance(node.function, ast.Name):
            name = node.function.name
            found, value = self._local(name)
            if found and isinstance(value, Function):
                candidates: tuple[Function, ...] = (value,)
            elif name == "is defined" and len(node.args) == 1:
                return self._is_defined(node.args[0])
            else:
                candidates = BUILTINS.get(name, ())
        else:
            name = "anonymous"
            value = self.eval(node.function)
            candidates = (value,) if isinstance(value, Function) else ()
        args = [self.eval(arg) for arg in node.args]
        named = None
        if node.named is not None:
            named = {key: self.eval(arg) for key, arg in node.named}
        return invoke(name, candidates, args, named, self)

    def _is_defined(self, argument: ast.Node) -> bool:
        """False when the variable or context entry does not exist; null counts as defined."""
        before = len(self.warnings)
        value = self.eval(argument)
        missing = [w for w in self.warnings[before:] if w.startswith(_MISSING_CODES)]
        del self.warnings[before:]
        return value is not None or not missing

    # -- unary tests ----------------------------------------------------------------------

    def unary_tests(self, tests: ast.UnaryTests, value: Any) -> bool | None:
        if not tests.tests:
            return True
        self._scopes.append({"?": value})
        try:
            outcomes = [self._unary_test(test, value) for test in tests.tests]
        finally:
            self._scopes.pop()
        if True in outcomes:
            result: bool | None = True
        elif all(outcome is False for outcome in outcomes):
            result = False
        else:
            result = None
        if tests.negated and result is not None:
            return not result
        return result

    def _unary_test(self, test: ast.UnaryTest, value: Any) -> bool | None:
        if isinstance(test, ast.UnaryComparison):
            return compare(test.op, value, self.eval(test.endpoint), self.warn)
        if isinstance(test, ast.RangeLiteral):
            return in_range(value, self._range(test), self.warn)
        expected = self.eval(test.expression)
        if test.uses_input or (isinstance(expected, bool) and not isinstance(value, bool)):
            return expected if isinstance(expected, bool) else None
        if isinstance(expected, Range):
            return in_range(value, expected, self.warn)
        if isinstance(expected, list) and not isinstance(value, list):
            return any(equal(value, item, self.warn) is True for item in expected)
        return equal(value, expected, self.warn)


def _at(items: list[Any], index: Decimal) -> Any:
    """FEEL's list index: 1-based, negative from the end; out of range is null."""
    position = int(index)
    if position > 0 and position <= len(items):
        return items[position - 1]
    if position < 0 and -position <= len(items):
        return items[position]
    return None


_DISPATCH: dict[type, Callable[[Evaluator, Any], Any]] = {
    ast.Literal: Evaluator._literal,  # noqa: SLF001 - the class's own dispatch table
    ast.Name: Evaluator._name_node,  # noqa: SLF001
    ast.Path: Evaluator._path_node,  # noqa: SLF001
    ast.Filter: Evaluator._filter,  # noqa: SLF001
    ast.Negate: Evaluator._negate,  # noqa: SLF001
    ast.Arithmetic: Evaluator._arithmetic,  # noqa: SLF001
    ast.Comparison: Evaluator._comparison,  # noqa: SLF001
    ast.Logical: Evaluator._logical,  # noqa: SLF001
    ast.If: Evaluator._if,  # noqa: SLF001
    ast.For: Evaluator._for,  # noqa: SLF001
    ast.Quantified: Evaluator._quantified,  # noqa: SLF001
    ast.Between: Evaluator._between,  # noqa: SLF001
    ast.In: Evaluator._in,  # noqa: SLF001
    ast.InstanceOf: Evaluator._instance_of,  # noqa: SLF001
    ast.ListLiteral: Evaluator._list,  # noqa: SLF001
    ast.ContextLiteral: Evaluator._context,  # noqa: SLF001
    ast.RangeLiteral: Evaluator._range,  # noqa: SLF001
    ast.Call: Evaluator._call,  # noqa: SLF001
    ast.FunctionDefinition: Evaluator._function,  # noqa: SLF001
}
