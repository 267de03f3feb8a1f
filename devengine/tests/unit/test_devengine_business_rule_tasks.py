"""Business-rule tasks that call a decision (``zeebe:calledDecision``), as Zeebe runs them.

On entry the latest version of the decision is evaluated against every variable the task
sees (its input mappings included); the output becomes the result variable, which
propagates like job variables, or, with output mappings, stays local and feeds them. A
missing decision is a CALLED_DECISION_ERROR incident, a failed evaluation a
DECISION_EVALUATION_ERROR one; resolving either evaluates again. No matching rule is not a
failure: the output is null (single-result hit policies) or an empty list (COLLECT).
"""

import bpmn_parts as bpmn
import pytest
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import ManualScheduler
from zeebe_devengine.core.state import ErrorType, IncidentState, InstanceState, ProcessInstance
from zeebe_devengine.dmn.builder import dmn, literal, table
from zeebe_devengine.errors import InvalidArgumentError

#: Age -> band; UNIQUE, so two matching rules are a failed evaluation.
BANDS = [(["< 18"], ['"minor"']), (["[18..65]"], ['"adult"']), (["> 65"], ['"senior"'])]


@pytest.fixture
def engine() -> Engine:
    return Engine(ManualScheduler())


def bands(rules: list[tuple[list[str], list[str]]] = BANDS, *, hit_policy: str = "UNIQUE") -> bytes:
    return dmn(table("band", rules, inputs=("age",), outputs=("band",), hit_policy=hit_policy))


def deploy_task(engine: Engine, task: str, *wrapped: str) -> None:
    elements = wrapped or (task,)
    xml = bpmn.definitions(
        bpmn.process(
            "p",
            bpmn.start_event("s"),
            *elements,
            bpmn.end_event("e"),
            *bpmn.chain("s", "rules", "e"),
        )
    )
    engine.deploy([("p.bpmn", xml.encode())])


def start(engine: Engine, **variables: object) -> ProcessInstance:
    return engine.create_instance(bpmn_process_id="p", variables=dict(variables))


def test_the_decision_output_becomes_the_result_variable_and_the_task_completes(
    engine: Engine,
) -> None:
    engine.deploy([("bands.dmn", bands())])
    deploy_task(engine, bpmn.business_rule_task("rules", "band", "ageBand"))
    instance = start(engine, age=30)
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables == {"age": 30, "ageBand": "adult"}


def test_input_mappings_are_seen_by_the_decision_and_decision_ids_may_be_expressions(
    engine: Engine,
) -> None:
    engine.deploy([("bands.dmn", bands())])
    task = bpmn.business_rule_task(
        "rules", '= "ba" + suffix', "ageBand", inputs={"age": "= years * 1"}
    )
    deploy_task(engine, task)
    instance = start(engine, years=70, suffix="nd")
    assert instance.root.variables["ageBand"] == "senior"
    assert "age" not in instance.root.variables  # an input mapping is local to the task


def test_with_output_mappings_the_result_stays_local_and_feeds_them(engine: Engine) -> None:
    engine.deploy([("bands.dmn", bands())])
    task = bpmn.business_rule_task(
        "rules", "band", "ageBand", outputs={"grownUp": '= ageBand != "minor"'}
    )
    deploy_task(engine, task)
    instance = start(engine, age=12)
    assert instance.root.variables == {"age": 12, "grownUp": False}


def test_the_result_propagates_to_where_the_variable_lives_as_job_variables_do(
    engine: Engine,
) -> None:
    engine.deploy([("bands.dmn", bands())])
    inner = bpmn.sub_process(
        "rules",
        bpmn.start_event("in"),
        bpmn.business_rule_task("decide", "band", "ageBand"),
        bpmn.end_event("out"),
        *bpmn.chain("in", "decide", "out"),
    )
    deploy_task(engine, "", inner)
    instance = start(engine, age=40, ageBand=None)
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables["ageBand"] == "adult"


@pytest.mark.parametrize(
    ("hit_policy", "expected"), [("UNIQUE", None), ("FIRST", None), ("COLLECT", [])]
)
def test_no_matching_rule_is_a_null_or_empty_result_not_an_incident(
    engine: Engine, hit_policy: str, expected: object
) -> None:
    engine.deploy([("bands.dmn", bands([(["< 18"], ['"minor"'])], hit_policy=hit_policy))])
    deploy_task(engine, bpmn.business_rule_task("rules", "band", "ageBand"))
    instance = start(engine, age=40)
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables["ageBand"] == expected


def test_a_missing_decision_is_an_incident_resolved_once_the_dmn_is_deployed(
    engine: Engine,
) -> None:
    deploy_task(engine, bpmn.business_rule_task("rules", "band", "ageBand"))
    instance = start(engine, age=30)
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.CALLED_DECISION_ERROR
    assert incident.message == (
        "Expected to evaluate decision 'band', but no decision found for id 'band'"
    )
    assert incident.element.node.id == "rules"
    assert not instance.finished
    engine.deploy([("bands.dmn", bands())])
    engine.resolve_incident(incident.key)
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables["ageBand"] == "adult"


def test_a_failed_evaluation_is_an_incident_that_a_fixed_version_resolves(
    engine: Engine,
) -> None:
    overlapping = [(["<= 18"], ['"minor"']), ([">= 18"], ['"adult"'])]
    engine.deploy([("bands.dmn", bands(overlapping))])
    deploy_task(engine, bpmn.business_rule_task("rules", "band", "ageBand"))
    instance = start(engine, age=18)
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.DECISION_EVALUATION_ERROR
    assert incident.message.startswith("Expected to evaluate decision 'band', but ")
    assert "hit policy 'UNIQUE'" in incident.message
    engine.resolve_incident(incident.key)  # nothing changed: the same failure again
    first, again = instance.incidents
    assert (first.state, again.state) == (IncidentState.RESOLVED, IncidentState.ACTIVE)
    assert again.error_type is ErrorType.DECISION_EVALUATION_ERROR
    engine.deploy([("bands.dmn", bands())])  # a new version: the latest is evaluated
    engine.resolve_incident(again.key)
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables["ageBand"] == "adult"


def test_a_decision_id_expression_that_is_not_a_string_is_an_extract_value_incident(
    engine: Engine,
) -> None:
    engine.deploy([("d.dmn", dmn(literal("d", "1")))])
    deploy_task(engine, bpmn.business_rule_task("rules", "= which", "r"))
    instance = start(engine, which=1)
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.EXTRACT_VALUE_ERROR
    assert incident.message.startswith(
        "Expected result of the expression 'which' to be 'STRING', but was 'NUMBER'."
    )


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (
            bpmn.business_rule_task("rules", "d", "r", binding="deployment"),
            "bindingType 'deployment' is not supported by the dev engine (latest only)",
        ),
        (
            bpmn.business_rule_task("rules", "d", "r", binding="versionTag"),
            "bindingType 'versionTag' is not supported by the dev engine (latest only)",
        ),
        (
            bpmn.business_rule_task("rules", "d", ""),
            "Attribute 'resultVariable' must be present and not empty",
        ),
        (
            bpmn.business_rule_task("rules", "", "r"),
            "Attribute 'decisionId' must be present and not empty",
        ),
        (
            bpmn.business_rule_task("rules", "d", "r").replace(
                "<zeebe:calledDecision", '<zeebe:taskDefinition type="t"/><zeebe:calledDecision'
            ),
            "Must have either one 'zeebe:calledDecision' or one 'zeebe:taskDefinition'",
        ),
        (
            '<bpmn:businessRuleTask id="rules"/>',
            "Must have either one 'zeebe:calledDecision' or one 'zeebe:taskDefinition'",
        ),
    ],
    ids=["deployment", "versionTag", "no-result", "no-decision", "both", "neither"],
)
def test_called_decisions_the_engine_cannot_run_are_refused_at_deploy(
    engine: Engine, task: str, expected: str
) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        deploy_task(engine, task)
    assert expected in str(refused.value)
    assert "rules" in str(refused.value)
    assert engine.latest("p") is None
