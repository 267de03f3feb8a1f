"""Parse DMN XML (1.2 to 1.5; the modeler writes 1.3) into a `DecisionGraph`.

Supported decision logic: decision tables (every hit policy, COLLECT with SUM, MIN, MAX and
COUNT, output values for PRIORITY and OUTPUT ORDER, default output entries) and literal
expressions; required decisions through ``informationRequirement``. Input data, knowledge
sources, diagrams and extension elements carry no behaviour and are ignored. Anything else
with behaviour (business knowledge models, decision services, boxed contexts, invocations,
relations, lists) is refused at deploy time, naming the element, as are cycles between
decisions and references to decisions that do not exist.
"""

import xml.etree.ElementTree as ET

from zeebe_devengine.bpmn.xml import Problems, parse_xml, split
from zeebe_devengine.dmn.model import (
    Decision,
    DecisionGraph,
    DecisionTable,
    Input,
    LiteralExpression,
    Output,
    Rule,
)
from zeebe_devengine.errors import FeelSyntaxError
from zeebe_devengine.feel.ast import UnaryTests
from zeebe_devengine.feel.parser import Expression, parse, parse_unary_tests

NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/DMN/20180521/MODEL/",  # 1.2
        "https://www.omg.org/spec/DMN/20191111/MODEL/",  # 1.3
        "https://www.omg.org/spec/DMN/20211108/MODEL/",  # 1.4
        "https://www.omg.org/spec/DMN/20230324/MODEL/",  # 1.5
    }
)
HIT_POLICIES = frozenset(
    {"UNIQUE", "FIRST", "ANY", "PRIORITY", "RULE ORDER", "OUTPUT ORDER", "COLLECT"}
)
AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})
_IGNORED = frozenset(
    {
        "inputData",
        "knowledgeSource",
        "description",
        "extensionElements",
        "DMNDI",
        "textAnnotation",
        "association",
        "itemDefinition",
        "import",
    }
)
_NOT_SUPPORTED = " is not supported by the dev engine"


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if split(c.tag)[1] == name), None)


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if split(c.tag)[1] == name]


def _text(element: ET.Element | None) -> str:
    if element is None:
        return ""
    text = _child(element, "text")
    return (text.text or "").strip() if text is not None else ""


class _Reader:
    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def expression(self, owner: str, text: str) -> Expression | None:
        try:
            return parse(text)
        except FeelSyntaxError as exc:
            self.problems.add(owner, f"FEEL expression '{text}' is invalid: {exc}")
            return None

    def tests(self, owner: str, text: str) -> UnaryTests:
        try:
            return parse_unary_tests(text)
        except FeelSyntaxError as exc:
            self.problems.add(owner, f"FEEL unary-tests '{text}' is invalid: {exc}")
            return UnaryTests(())

    def decision(self, element: ET.Element) -> Decision | None:
        decision_id = element.get("id", "")
        name = element.get("name", decision_id)
        variable = _child(element, "variable")
        required = []
        for requirement in _children(element, "informationRequirement"):
            reference = _child(requirement, "requiredDecision")
            if reference is not None:
                required.append(reference.get("href", "").lstrip("#"))
        logic: DecisionTable | LiteralExpression | None = None
        for child in element:
            kind = split(child.tag)[1]
            if kind == "decisionTable":
                logic = self.table(decision_id, child)
            elif kind == "literalExpression":
                expression = self.expression(decision_id, _text(child))
                logic = None if expression is None else LiteralExpression(expression)
            elif (
                kind
                not in {
                    "variable",
                    "informationRequirement",
                    "knowledgeRequirement",
                    "authorityRequirement",
                    "question",
                    "allowedAnswers",
                    "",
                }
                | _IGNORED
            ):
                self.problems.add(decision_id, f"the decision logic '{kind}'{_NOT_SUPPORTED}")
                return None
        if logic is None:
            if not self.problems.items:
                self.problems.add(
                    decision_id, "the decision has no decision table or literal expression"
                )
            return None
        variable_name = variable.get("name", name) if variable is not None else name
        return Decision(decision_id, name, variable_name, tuple(required), logic)

    def table(self, owner: str, element: ET.Element) -> DecisionTable | None:
        hit_policy = element.get("hitPolicy", "UNIQUE")
        aggregation = element.get("aggregation")
        if hit_policy not in HIT_POLICIES:
            self.problems.add(owner, f"the hit policy '{hit_policy}'{_NOT_SUPPORTED}")
            return None
        if aggregation is not None and (hit_policy != "COLLECT" or aggregation not in AGGREGATIONS):
            self.problems.add(
                owner,
                f"the aggregation '{aggregation}' is not valid with hit policy '{hit_policy}'",
            )
            return None
        inputs = tuple(self._input(owner, i) for i in _children(element, "input"))
        outputs = tuple(self._output(owner, o) for o in _children(element, "output"))
        if not outputs:
            self.problems.add(owner, "the decision table has no output")
            return None
        if aggregation is not None and len(outputs) > 1:
            self.problems.add(owner, f"the aggregation '{aggregation}' needs exactly one output")
        rules = []
        for index, rule in enumerate(_children(element, "rule"), 1):
            rule_id = rule.get("id", f"rule-{index}")
            entries = tuple(self.tests(rule_id, _text(e)) for e in _children(rule, "inputEntry"))
            outcomes = tuple(
                self.expression(rule_id, _text(e)) if _text(e) else None
                for e in _children(rule, "outputEntry")
            )
            if len(entries) != len(inputs) or len(outcomes) != len(outputs):
                self.problems.add(rule_id, "the rule's entries do not match the table's columns")
            rules.append(Rule(rule_id, index, entries, outcomes))
        return DecisionTable(hit_policy, aggregation, inputs, outputs, tuple(rules))

    def _input(self, owner: str, element: ET.Element) -> Input:
        expression_element = _child(element, "inputExpression")
        text = _text(expression_element)
        expression = self.expression(owner, text) if text else None
        if expression is None:
            if not text:
                self.problems.add(owner, f"the input '{element.get('id', '')}' has no expression")
            expression = parse("null")
        return Input(element.get("id", ""), element.get("label") or text, expression)

    def _output(self, owner: str, element: ET.Element) -> Output:
        values = _text(_child(element, "outputValues"))
        priorities = self.tests(owner, values).tests if values else ()
        default_text = _text(_child(element, "defaultOutputEntry"))
        default = self.expression(owner, default_text) if default_text else None
        output_id = element.get("id", "")
        name = element.get("name") or element.get("label") or output_id
        wrapped = tuple(UnaryTests((test,)) for test in priorities)
        return Output(output_id, name, wrapped, default)


def parse_dmn(resource_name: str, content: bytes) -> DecisionGraph:
    """Parse one DMN resource; raises InvalidArgumentError listing every problem."""
    problems = Problems(resource_name)
    root = parse_xml(resource_name, content)
    namespace, tag = split(root.tag)
    if tag != "definitions" or namespace not in NAMESPACES:
        problems.add(resource_name, "the resource is not a DMN 1.2-1.5 document (definitions)")
        problems.raise_if_any()
    reader = _Reader(problems)
    decisions: list[Decision] = []
    for element in root:
        kind = split(element.tag)[1]
        if kind == "decision":
            decision = reader.decision(element)
            if decision is not None:
                decisions.append(decision)
        elif kind not in _IGNORED and kind:
            problems.add(element.get("id", kind), f"the element '{kind}'{_NOT_SUPPORTED}")
    if not decisions and not problems.items:
        problems.add(resource_name, "the resource has no decision")
    _check_requirements(decisions, problems)
    problems.raise_if_any()
    graph_id = root.get("id", "")
    return DecisionGraph(
        graph_id, root.get("name", graph_id), root.get("namespace", ""), tuple(decisions)
    )


def _check_requirements(decisions: list[Decision], problems: Problems) -> None:
    known = {decision.id: decision for decision in decisions}
    if len(known) != len(decisions):
        problems.add("definitions", "two decisions have the same id")
    for decision in decisions:
        for required in decision.required:
            if required not in known:
                problems.add(decision.id, f"the required decision '{required}' does not exist")

    def cyclic(decision_id: str, path: tuple[str, ...]) -> bool:
        if decision_id in path:
            return True
        decision = known.get(decision_id)
        return decision is not None and any(
            cyclic(r, (*path, decision_id)) for r in decision.required
        )

    for decision in decisions:
        if cyclic(decision.id, ()):
            problems.add(
                decision.id, "the decision requires itself (a cycle of required decisions)"
            )
