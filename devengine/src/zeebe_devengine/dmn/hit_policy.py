"""Hit policies: from the matched rules of a decision table to its result.

Single-result policies (UNIQUE, FIRST, ANY, PRIORITY) give one value (or a context of the
outputs when the table has several), null when no rule matched. Multi-result policies (RULE
ORDER, OUTPUT ORDER, COLLECT) give a list; COLLECT with SUM, MIN, MAX or COUNT aggregates
the single output's values.
"""

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zeebe_devengine.dmn.model import DecisionTable
from zeebe_devengine.feel.values import NUMBERS, kind, render


class HitPolicyViolation(Exception):  # noqa: N818 - DMN's name for it
    """The matched rules break the hit policy (two for UNIQUE, different outputs for ANY)."""


@dataclass(frozen=True, slots=True)
class Match:
    rule_id: str
    rule_index: int
    outputs: tuple[Any, ...]  # FEEL values, one per output column
    priority: tuple[int, ...] = ()  # lower first (PRIORITY, OUTPUT ORDER)


def _value(table: DecisionTable, match: Match) -> Any:
    if len(table.outputs) == 1:
        return match.outputs[0]
    return {output.name: value for output, value in zip(table.outputs, match.outputs, strict=True)}


def _ids(matches: list[Match]) -> str:
    return ", ".join(f"'{match.rule_id}'" for match in matches)


def apply(table: DecisionTable, matches: list[Match]) -> tuple[Any, list[Match]]:
    """The table's result and the rules that produced it."""
    policy = table.hit_policy
    if policy in {"PRIORITY", "OUTPUT ORDER"}:
        matches = sorted(matches, key=lambda match: match.priority)
    if policy in {"RULE ORDER", "OUTPUT ORDER"} or (policy == "COLLECT" and not table.aggregation):
        return [_value(table, match) for match in matches], matches
    if policy == "COLLECT":
        return _aggregate(table.aggregation or "", [m.outputs[0] for m in matches]), matches
    if not matches:
        return None, []
    if policy == "UNIQUE" and len(matches) > 1:
        msg = f"hit policy 'UNIQUE' allows one matching rule, but {_ids(matches)} matched"
        raise HitPolicyViolation(msg)
    if policy == "ANY":
        values = {render(_value(table, match)) for match in matches}
        if len(values) > 1:
            msg = (
                f"hit policy 'ANY' needs the matching rules to agree, but {_ids(matches)} "
                f"gave {', '.join(sorted(values))}"
            )
            raise HitPolicyViolation(msg)
    return _value(table, matches[0]), matches[:1]


def _aggregate(aggregation: str, values: list[Any]) -> Any:
    present = [value for value in values if value is not None]
    if aggregation == "COUNT":
        return Decimal(len(present))
    if not present:
        return None
    kinds = {kind(value) for value in present}
    if aggregation == "SUM":
        if kinds != {"number"}:
            msg = f"COLLECT SUM needs numbers, but the outputs were {render(present)}"
            raise HitPolicyViolation(msg)
        return functools.reduce(NUMBERS.add, present)
    if len(kinds) > 1 or kinds & {"boolean", "list", "context"}:
        msg = f"COLLECT {aggregation} needs comparable outputs, but they were {render(present)}"
        raise HitPolicyViolation(msg)
    return min(present) if aggregation == "MIN" else max(present)
