"""Deployed decisions: DMN next to BPMN in one atomic deployment, versions per decision id,
evaluation by id (latest version) and by key (that version), read from the engine's clock."""

from typing import Any

import pytest
from zeebe_devengine.bpmn.builder import one_task_process
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import ManualScheduler
from zeebe_devengine.dmn.builder import dmn, literal, table
from zeebe_devengine.errors import InvalidArgumentError, NotFoundError

RULES = [(['"1"'], ['"One"']), (['"2"'], ['{"foo": "bar"}']), (['"3"'], ["3"])]


@pytest.fixture
def engine() -> Any:
    return Engine(ManualScheduler(start_ms=1_700_000_000_000))  # 2023-11-14T22:13:20Z


def test_a_dmn_deploys_its_graph_and_decisions_with_keys_and_versions(engine: Engine) -> None:
    deployment = engine.deploy([("rules.dmn", dmn(table("test", RULES, inputs=("input",))))])
    [graph] = deployment.requirements
    [decision] = deployment.decisions
    assert (graph.id, graph.name, graph.version, graph.resource_name) == (
        "drg",
        "Drg",
        1,
        "rules.dmn",
    )
    assert (decision.id, decision.name, decision.version) == ("test", "Test", 1)
    assert decision.requirements is graph
    assert len({deployment.key, graph.key, decision.key}) == 3


def test_versions_grow_only_when_the_resource_changes(engine: Engine) -> None:
    first = engine.deploy([("r.dmn", dmn(literal("d", "1")))]).decisions[0]
    same = engine.deploy([("r.dmn", dmn(literal("d", "1")))]).decisions[0]
    changed = engine.deploy([("r.dmn", dmn(literal("d", "2")))]).decisions[0]
    assert same.key == first.key
    assert same.version == 1
    assert changed.version == 2
    assert engine.decisions.evaluate_by_id("d", {}).evaluation.output == 2
    assert engine.decisions.evaluate_by_key(first.key, {}).evaluation.output == 1


def test_bpmn_and_dmn_deploy_together_or_not_at_all(engine: Engine) -> None:
    process = ("p.bpmn", one_task_process("p", "work").encode())
    deployment = engine.deploy([process, ("r.dmn", dmn(literal("d", "1")))])
    assert [d.bpmn_process_id for d in deployment.definitions] == ["p"]
    assert [d.id for d in deployment.decisions] == ["d"]
    with pytest.raises(InvalidArgumentError):
        engine.deploy([("q.bpmn", one_task_process("q", "w").encode()), ("bad.dmn", b"<x/>")])
    with pytest.raises(InvalidArgumentError):
        engine.deploy([("e.dmn", dmn(literal("e", "1"))), ("bad.bpmn", b"<x/>")])
    assert engine.latest("q") is None
    assert engine.decisions.latest("e") is None


def test_duplicate_decision_ids_in_one_deployment_are_refused(engine: Engine) -> None:
    with pytest.raises(InvalidArgumentError, match="duplicated id 'd' in the resources 'a\\.dmn'"):
        engine.deploy(
            [
                ("a.dmn", dmn(literal("d", "1"), graph_id="a")),
                ("b.dmn", dmn(literal("d", "2"), graph_id="b")),
            ]
        )


def test_evaluation_results_like_zeebe_for_pyzeebe_s_test_table(engine: Engine) -> None:
    engine.deploy([("test.dmn", dmn(table("test", RULES, inputs=("input",), outputs=("output",))))])
    for given, expected in (("1", "One"), ("2", {"foo": "bar"}), ("3", 3)):
        result = engine.decisions.evaluate_by_id("test", {"input": given})
        assert result.evaluation.output == expected
        [evaluated] = result.evaluation.decisions
        assert evaluated.matched_rules[0].outputs[0].value == expected
        assert result.deployed_for(evaluated) is result.decision


def test_unknown_decisions_are_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError, match="no decision found for id 'nope'"):
        engine.decisions.evaluate_by_id("nope", {})
    with pytest.raises(NotFoundError, match="no decision found for key '1'"):
        engine.decisions.evaluate_by_key(1, {})


def test_each_evaluation_gets_its_own_instance_key(engine: Engine) -> None:
    engine.deploy([("r.dmn", dmn(literal("d", "1")))])
    first = engine.decisions.evaluate_by_id("d", {})
    second = engine.decisions.evaluate_by_id("d", {})
    assert first.instance_key != second.instance_key


def test_now_and_today_in_decisions_read_the_engine_clock(engine: Engine) -> None:
    engine.deploy([("r.dmn", dmn(literal("d", "string(today())"), literal("n", "now()")))])
    assert engine.decisions.evaluate_by_id("d", {}).evaluation.output == "2023-11-14"
    assert engine.decisions.evaluate_by_id("n", {}).evaluation.output == "2023-11-14T22:13:20Z"
