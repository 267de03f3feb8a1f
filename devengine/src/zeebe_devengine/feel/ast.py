"""The FEEL syntax tree: one frozen dataclass per construct (built by `parser`)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # Decimal | str | bool | None | a temporal value (from @"...")


@dataclass(frozen=True, slots=True)
class Name:
    name: str  # "?" is the input value of unary tests


@dataclass(frozen=True, slots=True)
class Path:
    base: "Node"
    key: str


@dataclass(frozen=True, slots=True)
class Filter:
    base: "Node"
    condition: "Node"


@dataclass(frozen=True, slots=True)
class Negate:
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


@dataclass(frozen=True, slots=True)
class If:
    condition: "Node"
    then: "Node"
    otherwise: "Node"


@dataclass(frozen=True, slots=True)
class Iteration:
    """``name in collection``; `end` is set for ``name in start..end``."""

    name: str
    collection: "Node"
    end: "Node | None" = None


@dataclass(frozen=True, slots=True)
class For:
    iterations: tuple[Iteration, ...]
    body: "Node"


@dataclass(frozen=True, slots=True)
class Quantified:
    kind: str  # some | every
    iterations: tuple[Iteration, ...]
    condition: "Node"


@dataclass(frozen=True, slots=True)
class Between:
    value: "Node"
    low: "Node"
    high: "Node"


@dataclass(frozen=True, slots=True)
class In:
    value: "Node"
    tests: "UnaryTests"


@dataclass(frozen=True, slots=True)
class InstanceOf:
    value: "Node"
    type_name: str


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class ContextLiteral:
    entries: tuple[tuple[str, "Node"], ...]


@dataclass(frozen=True, slots=True)
class RangeLiteral:
    start: "Node | None"  # None: open (only from comparisons)
    start_closed: bool
    end: "Node | None"
    end_closed: bool


@dataclass(frozen=True, slots=True)
class Call:
    function: "Node"  # a Name for built-ins and variables holding functions
    args: tuple["Node", ...]
    named: tuple[tuple[str, "Node"], ...] | None = None  # set when called with names


@dataclass(frozen=True, slots=True)
class FunctionDefinition:
    params: tuple[str, ...]
    body: "Node"


# -- unary tests (DMN input entries, the right side of 'in') --------------------------------


@dataclass(frozen=True, slots=True)
class UnaryComparison:
    op: str  # = != < <= > >=
    endpoint: "Node"


@dataclass(frozen=True, slots=True)
class UnaryExpression:
    """An expression test: equal to the input, containing it, or a boolean using ``?``."""

    expression: "Node"
    uses_input: bool = False  # the expression mentions '?': its boolean result decides


@dataclass(frozen=True, slots=True)
class UnaryTests:
    tests: tuple["UnaryTest", ...]  # empty: '-' (any input)
    negated: bool = False


Node = (
    Literal
    | Name
    | Path
    | Filter
    | Negate
    | Arithmetic
    | Comparison
    | Logical
    | If
    | For
    | Quantified
    | Between
    | In
    | InstanceOf
    | ListLiteral
    | ContextLiteral
    | RangeLiteral
    | Call
    | FunctionDefinition
)
UnaryTest = UnaryComparison | UnaryExpression | RangeLiteral
