"""DMN: parsing decision requirements graphs, every hit policy, required decisions and
literal expressions, with the result shapes Zeebe answers."""

from typing import Any

import pytest
from zeebe_devengine.dmn.builder import dmn, literal, table
from zeebe_devengine.dmn.evaluate import evaluate_decision
from zeebe_devengine.dmn.parser import parse_dmn
from zeebe_devengine.errors import InvalidArgumentError

RULES = [
    (["< 10"], ['"low"']),
    (["[5..20]"], ['"medium"']),
    (["> 15"], ['"high"']),
]


def decide(document: bytes, decision_id: Any, **variables: Any) -> Any:
    return evaluate_decision(parse_dmn("d.dmn", document), decision_id, variables)


def output(document: bytes, decision_id: Any, **variables: Any) -> Any:
    evaluation = decide(document, decision_id, **variables)
    assert evaluation.failure == ""
    return evaluation.output


@pytest.mark.parametrize(
    ("hit_policy", "x", "expected"),
    [
        ("FIRST", 7, "low"),
        ("FIRST", 18, "medium"),
        ("FIRST", 30, "high"),
        ("FIRST", None, None),  # null matches no comparison: no rule, null output
        ("UNIQUE", 3, "low"),
        ("UNIQUE", 30, "high"),
        ("RULE ORDER", 7, ["low", "medium"]),
        ("RULE ORDER", 18, ["medium", "high"]),
        ("RULE ORDER", -100, ["low"]),
        ("COLLECT", 18, ["medium", "high"]),
        ("PRIORITY", 7, "medium"),  # output values: "high","medium","low"
        ("PRIORITY", 18, "high"),
        ("OUTPUT ORDER", 7, ["medium", "low"]),
        ("OUTPUT ORDER", 18, ["high", "medium"]),
    ],
)
def test_hit_policies(hit_policy: str, x: Any, expected: Any) -> None:
    document = dmn(
        table("level", RULES, hit_policy=hit_policy, output_values='"high","medium","low"')
    )
    assert output(document, "level", x=x) == expected


def test_unique_with_no_matching_rule_gives_null_and_no_matched_rule() -> None:
    evaluation = decide(dmn(table("level", RULES)), "level", x=100)
    assert evaluation.output == "high"
    evaluation = decide(dmn(table("level", RULES[:1])), "level", x=100)
    assert evaluation.output is None
    assert evaluation.decisions[0].matched_rules == ()
    assert evaluation.decisions[0].inputs[0].value == 100


def test_unique_with_two_matching_rules_fails_naming_the_decision_and_rules() -> None:
    evaluation = decide(dmn(table("level", RULES)), "level", x=7)
    assert evaluation.output is None
    assert evaluation.failed_decision_id == "level"
    assert evaluation.failure == (
        "Expected to evaluate decision 'level', but failed to evaluate decision 'level': "
        "hit policy 'UNIQUE' allows one matching rule, but 'level-r1', 'level-r2' matched"
    )


def test_any_passes_when_matching_rules_agree_and_fails_when_they_differ() -> None:
    rules = [
        (["< 10"], ['"small"']),
        (["< 5"], ['"small"']),
        (["> 100"], ['"big"']),
        (["> 50"], ['"huge"']),
    ]
    document = dmn(table("size", rules, hit_policy="ANY"))
    assert output(document, "size", x=3) == "small"
    evaluation = decide(document, "size", x=200)
    assert evaluation.failed_decision_id == "size"
    assert "hit policy 'ANY'" in evaluation.failure


@pytest.mark.parametrize(
    ("aggregation", "x", "expected"),
    [
        ("SUM", 18, 5),
        ("MIN", 18, 2),
        ("MAX", 18, 3),
        ("COUNT", 18, 2),
        ("SUM", 100, 3),
        ("COUNT", -5, 1),
        ("SUM", None, None),  # nothing matched
        ("COUNT", None, 0),
    ],
)
def test_collect_aggregations(aggregation: str, x: Any, expected: Any) -> None:
    rules = [(["< 10"], ["1"]), (["[5..20]"], ["2"]), (["> 15"], ["3"])]
    document = dmn(table("score", rules, hit_policy="COLLECT", aggregation=aggregation))
    assert output(document, "score", x=x) == expected


def test_collect_sum_of_strings_fails() -> None:
    document = dmn(table("s", [(["-"], ['"a"'])], hit_policy="COLLECT", aggregation="SUM"))
    assert "COLLECT SUM needs numbers" in decide(document, "s", x=1).failure


def test_several_outputs_give_a_context_per_rule() -> None:
    rules = [(['"gold"'], ["0.2", '"premium"']), (["-"], ["0", '"standard"'])]
    document = dmn(
        table("offer", rules, inputs=("tier",), outputs=("discount", "label"), hit_policy="FIRST")
    )
    assert output(document, "offer", tier="gold") == {"discount": 0.2, "label": "premium"}
    collected = dmn(
        table("offer", rules, inputs=("tier",), outputs=("discount", "label"), hit_policy="COLLECT")
    )
    assert output(collected, "offer", tier="gold") == [
        {"discount": 0.2, "label": "premium"},
        {"discount": 0, "label": "standard"},
    ]


def test_several_inputs_must_all_match() -> None:
    rules = [([">= 18", '"DE", "FR"'], ["true"]), (["-", "-"], ["false"])]
    document = dmn(table("ok", rules, inputs=("age", "country"), hit_policy="FIRST"))
    assert output(document, "ok", age=20, country="FR") is True
    assert output(document, "ok", age=20, country="US") is False
    assert output(document, "ok", age=16, country="DE") is False


def test_empty_output_entry_is_null_and_default_output_applies_when_nothing_matches() -> None:
    document = dmn(table("d", [(["1"], [""])]))
    assert output(document, "d", x=1) is None
    document = dmn(table("d", [(["1"], ['"one"'])], default='"other"'))
    assert output(document, "d", x=2) == "other"


def test_matched_rules_and_evaluated_inputs_and_outputs_are_reported() -> None:
    document = dmn(table("level", RULES, hit_policy="COLLECT"))
    evaluated = decide(document, "level", x=18).decisions[0]
    assert evaluated.decision.kind == "DECISION_TABLE"
    assert [(i.id, i.name, i.value) for i in evaluated.inputs] == [("in1", "x", 18)]
    assert [(r.id, r.index) for r in evaluated.matched_rules] == [("level-r2", 2), ("level-r3", 3)]
    assert [(o.id, o.name, o.value) for o in evaluated.matched_rules[0].outputs] == [
        ("out1", "result", "medium")
    ]


def test_first_reports_only_the_first_matching_rule() -> None:
    evaluated = decide(dmn(table("level", RULES, hit_policy="FIRST")), "level", x=18).decisions[0]
    assert [r.index for r in evaluated.matched_rules] == [2]


def test_literal_expressions() -> None:
    document = dmn(literal("greeting", '"Hello " + name'))
    evaluation = decide(document, "greeting", name="Ada")
    assert evaluation.output == "Hello Ada"
    assert evaluation.decisions[0].decision.kind == "LITERAL_EXPRESSION"
    assert evaluation.decisions[0].matched_rules == ()


def test_required_decisions_are_evaluated_first_and_seen_by_id_and_variable_name() -> None:
    document = dmn(
        table("level", RULES, hit_policy="FIRST"),
        literal("bonus", 'if level = "high" then 100 else 10', requires=("level",)),
        literal("total", "base + bonus + extra", requires=("bonus",), variable="total"),
        literal("extraDecision", "5", variable="extra"),
    )
    document = document.replace(
        b'<variable name="total"/>',
        b'<variable name="total"/><informationRequirement><requiredDecision href="#extraDecision"/>'
        b"</informationRequirement>",
    )
    evaluation = decide(document, "total", x=30, base=1000)
    assert evaluation.output == 1105
    # in the order of each decision's requirements, depth first, the asked decision last
    assert [d.decision.id for d in evaluation.decisions] == [
        "extraDecision",
        "level",
        "bonus",
        "total",
    ]
    assert [d.output for d in evaluation.decisions] == [5, "high", 100, 1105]


def test_a_failure_in_a_required_decision_names_that_decision() -> None:
    document = dmn(
        literal("checked", "assert(x, x > 0)"),
        literal("outer", "checked * 2", requires=("checked",)),
    )
    evaluation = decide(document, "outer", x=-1)
    assert evaluation.failed_decision_id == "checked"
    assert evaluation.failure.startswith(
        "Expected to evaluate decision 'outer', but failed to evaluate decision 'checked': "
    )
    assert [d.decision.id for d in evaluation.decisions] == []


def test_missing_variables_are_null_not_failures() -> None:
    evaluation = decide(dmn(table("level", RULES, hit_policy="FIRST")), "level")
    assert evaluation.failure == ""
    assert evaluation.output is None
    assert any("NO_VARIABLE_FOUND" in w for w in evaluation.warnings)


def test_dates_flow_between_decisions_as_dates() -> None:
    document = dmn(
        literal("due", 'date("2024-01-31") + duration("P1M")'),
        literal("late", "today() > due", requires=("due",)),
    )
    assert output(document, "due") == "2024-02-29"
    assert output(document, "late") is True


@pytest.mark.parametrize(
    "namespace",
    [
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "https://www.omg.org/spec/DMN/20211108/MODEL/",
        "https://www.omg.org/spec/DMN/20230324/MODEL/",
    ],
)
def test_dmn_1_2_1_4_and_1_5_documents_parse_too(namespace: str) -> None:
    assert (
        parse_dmn("d.dmn", dmn(literal("one", "1"), namespace=namespace)).decisions[0].id == "one"
    )


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (dmn(literal("a", "1 +")), "FEEL expression '1 +' is invalid"),
        (dmn(table("a", [(["[1.."], ["1"])])), "FEEL unary-tests '[1..' is invalid"),
        (dmn(table("a", RULES, hit_policy="SOMETIMES")), "hit policy 'SOMETIMES'"),
        (dmn(table("a", RULES, hit_policy="FIRST", aggregation="SUM")), "aggregation 'SUM'"),
        (
            dmn(literal("a", "1", requires=("nowhere",))),
            "required decision 'nowhere' does not exist",
        ),
        (
            dmn(literal("a", "b", requires=("b",)), literal("b", "a", requires=("a",))),
            "cycle",
        ),
        (dmn(literal("a", "1"), literal("a", "2")), "same id"),
        (
            dmn(literal("a", "1")).replace(
                b"</definitions>", b'<businessKnowledgeModel id="bkm"/></definitions>'
            ),
            "'businessKnowledgeModel' is not supported by the dev engine",
        ),
        (
            dmn(literal("a", "1")).replace(
                b"<literalExpression><text>1</text></literalExpression>", b"<context/>"
            ),
            "'context' is not supported by the dev engine",
        ),
        (dmn(literal("a", "1"), namespace="http://example.com/not-dmn"), "not a DMN"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>', "DOCTYPE"),
    ],
)
def test_invalid_documents_are_refused_naming_the_element_and_reason(
    document: bytes, reason: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=None) as caught:
        parse_dmn("d.dmn", document)
    assert reason in str(caught.value)
