"""A parsed decision requirements graph (DRG): its decisions and their logic."""

from dataclasses import dataclass

from zeebe_devengine.feel.ast import UnaryTests
from zeebe_devengine.feel.parser import Expression


@dataclass(frozen=True, slots=True)
class Input:
    id: str
    name: str  # the label, else the expression's text
    expression: Expression


@dataclass(frozen=True, slots=True)
class Output:
    id: str
    name: str  # the output's name (the key in a multi-output result), else its label
    priorities: tuple[UnaryTests, ...] = ()  # outputValues: PRIORITY and OUTPUT ORDER
    default: Expression | None = None  # defaultOutputEntry


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    index: int  # 1-based, as Zeebe's ruleIndex
    input_entries: tuple[UnaryTests, ...]
    output_entries: tuple[Expression | None, ...]  # None: an empty entry (null)


@dataclass(frozen=True, slots=True)
class DecisionTable:
    hit_policy: str  # UNIQUE FIRST ANY PRIORITY RULE ORDER OUTPUT ORDER COLLECT
    aggregation: str | None  # SUM MIN MAX COUNT (COLLECT only)
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class LiteralExpression:
    expression: Expression


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    name: str
    variable: str  # the name its result is known by in dependent decisions (besides its id)
    required: tuple[str, ...]  # ids of required decisions
    logic: DecisionTable | LiteralExpression

    @property
    def kind(self) -> str:
        """Zeebe's decisionType."""
        if isinstance(self.logic, DecisionTable):
            return "DECISION_TABLE"
        return "LITERAL_EXPRESSION"


@dataclass(frozen=True, slots=True)
class DecisionGraph:
    id: str
    name: str
    namespace: str
    decisions: tuple[Decision, ...]

    def decision(self, decision_id: str) -> Decision | None:
        return next((d for d in self.decisions if d.id == decision_id), None)
