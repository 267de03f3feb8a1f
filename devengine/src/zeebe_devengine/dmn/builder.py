"""Write small DMN 1.3 documents in code (tests, benchmarks): valid for Zeebe too.

document = dmn(
    table("level", [(["< 10"], ['"low"']), (["-"], ['"high"'])], hit_policy="FIRST"),
    literal("bonus", 'if level = "high" then 100 else 10', requires=("level",)),
)
"""

from collections.abc import Sequence
from xml.sax.saxutils import escape

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"

#: One rule: its input entries (unary tests) and output entries (expressions).
RuleTexts = tuple[Sequence[str], Sequence[str]]


def table(
    decision_id: str,
    rules: Sequence[RuleTexts],
    *,
    inputs: Sequence[str] = ("x",),
    outputs: Sequence[str] = ("result",),
    hit_policy: str = "UNIQUE",
    aggregation: str | None = None,
    output_values: str | None = None,
    requires: Sequence[str] = (),
    default: str | None = None,
) -> str:
    """A decision with a decision table; inputs are expressions, outputs are names."""
    columns = "".join(
        f'<input id="in{n}" label="{escape(text)}"><inputExpression><text>{escape(text)}</text>'
        "</inputExpression></input>"
        for n, text in enumerate(inputs, 1)
    )
    for n, name in enumerate(outputs, 1):
        values = (
            f"<outputValues><text>{escape(output_values)}</text></outputValues>"
            if output_values
            else ""
        )
        fallback = (
            f"<defaultOutputEntry><text>{escape(default)}</text></defaultOutputEntry>"
            if default
            else ""
        )
        columns += f'<output id="out{n}" name="{name}">{values}{fallback}</output>'
    body = ""
    for n, (entries, results) in enumerate(rules, 1):
        body += f'<rule id="{decision_id}-r{n}">'
        body += "".join(f"<inputEntry><text>{escape(e)}</text></inputEntry>" for e in entries)
        body += "".join(f"<outputEntry><text>{escape(r)}</text></outputEntry>" for r in results)
        body += "</rule>"
    aggregated = f' aggregation="{aggregation}"' if aggregation else ""
    return (
        f'<decision id="{decision_id}" name="{decision_id.title()}">{_requirements(requires)}'
        f'<decisionTable id="{decision_id}-table" hitPolicy="{hit_policy}"{aggregated}>'
        f"{columns}{body}</decisionTable></decision>"
    )


def literal(
    decision_id: str, text: str, *, requires: Sequence[str] = (), variable: str | None = None
) -> str:
    """A decision whose logic is one FEEL literal expression."""
    return (
        f'<decision id="{decision_id}" name="{decision_id.title()}">'
        f'<variable name="{variable or decision_id}"/>{_requirements(requires)}'
        f"<literalExpression><text>{escape(text)}</text></literalExpression></decision>"
    )


def _requirements(requires: Sequence[str]) -> str:
    return "".join(
        f'<informationRequirement><requiredDecision href="#{r}"/></informationRequirement>'
        for r in requires
    )


def dmn(*decisions: str, graph_id: str = "drg", namespace: str = DMN13) -> bytes:
    """A DMN document (a decision requirements graph) holding `decisions`."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="{namespace}" id="{graph_id}" '
        f'name="{graph_id.title()}" namespace="http://camunda.org/schema/1.0/dmn">'
        + "".join(decisions)
        + "</definitions>"
    ).encode()
