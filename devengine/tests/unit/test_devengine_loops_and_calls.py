"""Call activities and multi-instance activities, with Zeebe's variable scoping.

Call activities start the latest version of the called process with all visible variables
(or only the input mappings), and take back all of the child's variables (or only the output
mappings); an error the child does not catch travels to the call activity. Multi-instance
bodies run one inner instance per item, in parallel or in sequence, collect outputs in order,
stop at the completion condition, and raise an incident for a collection that is not a list.
"""

import json
from typing import Any

import bpmn_parts as bpmn
import pytest
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import ManualScheduler
from zeebe_devengine.core.state import ErrorType, InstanceState, JobActivation, ProcessInstance
from zeebe_devengine.errors import FailedPreconditionError


@pytest.fixture
def clock() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
def engine(clock: ManualScheduler) -> Engine:
    return Engine(clock)


def jobs(engine: Engine, job_type: str, count: int = 10) -> list[JobActivation]:
    return engine.activate_jobs(job_type, worker="w", timeout_ms=1_000, max_jobs=count, fetch=[])


def call(element_id: str, process_id: str, extra: str = "", **flags: str) -> str:
    attributes = "".join(f' {name}="{value}"' for name, value in flags.items())
    return bpmn.element(
        "callActivity",
        element_id,
        "<bpmn:extensionElements>"
        f'<zeebe:calledElement processId="{process_id}"{attributes}/>{extra}'
        "</bpmn:extensionElements>",
    )


def deploy_parent_and_child(engine: Engine, parent_call: str, *parent_extra: str) -> None:
    child = bpmn.process(
        "child",
        bpmn.start_event("cs"),
        bpmn.service_task("child-work", "child-work"),
        bpmn.end_event("ce"),
        *bpmn.chain("cs", "child-work", "ce"),
    )
    parent = bpmn.process(
        "parent",
        bpmn.start_event("s"),
        parent_call,
        bpmn.end_event("e"),
        *bpmn.chain("s", "call", "e"),
        *parent_extra,
    )
    engine.deploy(
        [
            ("child.bpmn", bpmn.definitions(child).encode()),
            (
                "parent.bpmn",
                bpmn.definitions(parent, '<bpmn:error id="bad" errorCode="BAD"/>').encode(),
            ),
        ]
    )


def test_a_call_activity_passes_all_variables_down_and_back(engine: Engine) -> None:
    deploy_parent_and_child(engine, call("call", "child"))
    parent = engine.create_instance(bpmn_process_id="parent", variables={"order": 7})
    [job] = jobs(engine, "child-work")
    assert job.bpmn_process_id == "child"
    assert '"order":7' in job.variables
    engine.complete_job(job.key, {"shipped": True})
    assert parent.state is InstanceState.COMPLETED
    assert parent.root.variables == {"order": 7, "shipped": True}


def test_a_call_activity_without_propagation_passes_only_its_mappings(engine: Engine) -> None:
    mappings = (
        '<zeebe:ioMapping><zeebe:input source="= order" target="id"/>'
        '<zeebe:output source="= shipped" target="done"/></zeebe:ioMapping>'
    )
    deploy_parent_and_child(
        engine,
        call(
            "call",
            "child",
            mappings,
            propagateAllParentVariables="false",
            propagateAllChildVariables="false",
        ),
    )
    parent = engine.create_instance(bpmn_process_id="parent", variables={"order": 7})
    [job] = jobs(engine, "child-work")
    assert job.variables == '{"id":7}'
    engine.complete_job(job.key, {"shipped": True, "noise": 1})
    assert parent.root.variables == {"order": 7, "done": True}


def test_an_uncaught_child_error_is_caught_at_the_call_activity(engine: Engine) -> None:
    deploy_parent_and_child(
        engine,
        call("call", "child"),
        bpmn.error_boundary_event("failed", "call", error_ref="bad"),
        bpmn.end_event("failed-end"),
        *bpmn.chain("failed", "failed-end"),
    )
    parent = engine.create_instance(bpmn_process_id="parent")
    [job] = jobs(engine, "child-work")
    engine.throw_error(job.key, error_code="BAD", error_message="", variables={})
    assert parent.state is InstanceState.COMPLETED
    assert "failed-end" in parent.completed_ids
    [child] = [i for i in engine.instances.values() if i.definition.bpmn_process_id == "child"]
    assert child.state is InstanceState.TERMINATED


def test_a_child_instance_cannot_be_cancelled_on_its_own(engine: Engine) -> None:
    deploy_parent_and_child(engine, call("call", "child"))
    parent = engine.create_instance(bpmn_process_id="parent")
    [child] = [i for i in engine.instances.values() if i.definition.bpmn_process_id == "child"]
    with pytest.raises(FailedPreconditionError, match="created by a parent process instance"):
        engine.cancel_instance(child.key)
    engine.cancel_instance(parent.key)
    assert child.state is InstanceState.TERMINATED


def test_calling_a_process_that_is_not_deployed_is_an_incident(engine: Engine) -> None:
    engine.deploy(
        [
            (
                "parent.bpmn",
                bpmn.definitions(
                    bpmn.process(
                        "parent",
                        bpmn.start_event("s"),
                        call("call", "missing"),
                        bpmn.end_event("e"),
                        *bpmn.chain("s", "call", "e"),
                    )
                ).encode(),
            )
        ]
    )
    parent = engine.create_instance(bpmn_process_id="parent")
    [incident] = parent.incidents
    assert incident.error_type is ErrorType.CALLED_ELEMENT_ERROR
    assert incident.message == (
        "Expected process with BPMN process id 'missing' to be deployed, but not found."
    )


def looped(engine: Engine, *, sequential: bool, condition: str = "") -> None:
    completion = (
        f"<bpmn:completionCondition>{condition}</bpmn:completionCondition>" if condition else ""
    )
    marker = (
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}">'
        "<bpmn:extensionElements>"
        '<zeebe:loopCharacteristics inputCollection="= items" inputElement="item" '
        'outputCollection="results" outputElement="= done"/>'
        f"</bpmn:extensionElements>{completion}</bpmn:multiInstanceLoopCharacteristics>"
    )
    task = bpmn.element(
        "serviceTask",
        "each",
        '<bpmn:extensionElements><zeebe:taskDefinition type="each"/></bpmn:extensionElements>'
        + marker,
    )
    xml = bpmn.definitions(
        bpmn.process(
            "p", bpmn.start_event("s"), task, bpmn.end_event("e"), *bpmn.chain("s", "each", "e")
        )
    )
    engine.deploy([("p.bpmn", xml.encode())])


def finish(engine: Engine, job: JobActivation, **variables: Any) -> None:
    engine.complete_job(job.key, variables)


def test_a_parallel_multi_instance_runs_every_item_and_collects_outputs_in_order(
    engine: Engine,
) -> None:
    looped(engine, sequential=False)
    instance = engine.create_instance(bpmn_process_id="p", variables={"items": ["a", "b", "c"]})
    started = jobs(engine, "each")
    items = [json.loads(job.variables)["item"] for job in started]
    assert items == ["a", "b", "c"]
    for job, item in reversed(list(zip(started, items, strict=True))):
        finish(engine, job, done=item.upper())
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables["results"] == ["A", "B", "C"]
    assert "item" not in instance.root.variables


def test_a_sequential_multi_instance_runs_one_item_at_a_time(engine: Engine) -> None:
    looped(engine, sequential=True)
    instance = engine.create_instance(bpmn_process_id="p", variables={"items": [1, 2]})
    [first] = jobs(engine, "each")
    assert '"loopCounter":1' in first.variables
    finish(engine, first, done="one")
    [second] = jobs(engine, "each")
    assert '"loopCounter":2' in second.variables
    finish(engine, second, done="two")
    assert instance.root.variables["results"] == ["one", "two"]


def test_the_completion_condition_ends_the_remaining_instances(engine: Engine) -> None:
    looped(engine, sequential=False, condition="= done = true")
    instance = engine.create_instance(bpmn_process_id="p", variables={"items": [1, 2, 3]})
    first, *_ = jobs(engine, "each")
    finish(engine, first, done=True)
    assert instance.state is InstanceState.COMPLETED
    assert jobs(engine, "each") == []


def test_an_empty_collection_completes_at_once(engine: Engine) -> None:
    looped(engine, sequential=False)
    instance = engine.create_instance(bpmn_process_id="p", variables={"items": []})
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables["results"] == []


def test_a_collection_that_is_not_a_list_is_an_incident(engine: Engine) -> None:
    looped(engine, sequential=False)
    instance: ProcessInstance = engine.create_instance(
        bpmn_process_id="p", variables={"items": "abc"}
    )
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.EXTRACT_VALUE_ERROR
    assert (
        incident.message
        == "Expected result of the expression 'items' to be 'ARRAY', but was 'STRING'."
    )
