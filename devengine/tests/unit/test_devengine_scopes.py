"""Scopes and tasks: sub-processes, event sub-processes, user tasks, pass-through elements,
terminate end events, inclusive gateways and FEEL script tasks, each as Zeebe runs them."""

from typing import Any

import bpmn_parts as bpmn
import pytest
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import ManualScheduler
from zeebe_devengine.core.state import (
    ErrorType,
    InstanceState,
    JobActivation,
    ProcessDefinition,
    UserTaskState,
)
from zeebe_devengine.errors import NotFoundError

ERRORS = '<bpmn:error id="failed" errorCode="FAILED"/>'


@pytest.fixture
def clock() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
def engine(clock: ManualScheduler) -> Engine:
    return Engine(clock)


def deploy(engine: Engine, *elements: str, declarations: tuple[str, ...] = ()) -> ProcessDefinition:
    return engine.deploy(
        [("p.bpmn", bpmn.model(*elements, declarations=declarations))]
    ).definitions[0]


def run_job(engine: Engine, job_type: str, **variables: Any) -> JobActivation:
    [job] = engine.activate_jobs(job_type, worker="w", timeout_ms=1_000, max_jobs=1, fetch=[])
    engine.complete_job(job.key, variables)
    return job


def inputs(**mappings: str) -> str:
    body = "".join(f'<zeebe:input source="{s}" target="{t}"/>' for t, s in mappings.items())
    mapping = f"<zeebe:ioMapping>{body}</zeebe:ioMapping>"
    return f"<bpmn:extensionElements>{mapping}</bpmn:extensionElements>"


def test_an_embedded_sub_process_scopes_its_inputs_and_propagates_job_variables(
    engine: Engine,
) -> None:
    inner = bpmn.sub_process(
        "sub",
        inputs(local="= 1"),
        bpmn.start_event("sub-start"),
        bpmn.service_task("work", "work"),
        bpmn.end_event("sub-end"),
        *bpmn.chain("sub-start", "work", "sub-end"),
    )
    deploy(engine, bpmn.start_event("s"), inner, bpmn.end_event("e"), *bpmn.chain("s", "sub", "e"))
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = engine.activate_jobs("work", worker="w", timeout_ms=1_000, max_jobs=1, fetch=[])
    assert '"local":1' in job.variables
    engine.complete_job(job.key, {"result": "ok"})
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables == {"result": "ok"}
    assert {"sub", "sub-start", "work", "sub-end", "e"} <= instance.completed_ids


def test_an_error_inside_a_sub_process_is_caught_by_its_boundary(engine: Engine) -> None:
    inner = bpmn.sub_process(
        "sub",
        bpmn.start_event("sub-start"),
        bpmn.service_task("work", "work"),
        bpmn.end_event("sub-end"),
        *bpmn.chain("sub-start", "work", "sub-end"),
    )
    deploy(
        engine,
        bpmn.start_event("s"),
        inner,
        bpmn.error_boundary_event("caught", "sub", error_ref="failed"),
        bpmn.end_event("e"),
        bpmn.end_event("caught-end"),
        *bpmn.chain("s", "sub", "e"),
        *bpmn.chain("caught", "caught-end"),
        declarations=(ERRORS,),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = engine.activate_jobs("work", worker="w", timeout_ms=1_000, max_jobs=1, fetch=[])
    engine.throw_error(job.key, error_code="FAILED", error_message="", variables={"why": "x"})
    assert instance.state is InstanceState.COMPLETED
    assert "caught-end" in instance.completed_ids
    assert {"sub", "work"} <= instance.terminated_ids
    assert instance.root.variables == {"why": "x"}


def test_an_error_event_sub_process_catches_an_error_of_its_scope(engine: Engine) -> None:
    handler = bpmn.sub_process(
        "on-error",
        bpmn.start("err-start", '<bpmn:errorEventDefinition errorRef="failed"/>'),
        bpmn.service_task("cleanup", "cleanup"),
        bpmn.end_event("err-end"),
        *bpmn.chain("err-start", "cleanup", "err-end"),
        event=True,
    )
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.service_task("work", "work"),
        bpmn.end_event("e"),
        handler,
        *bpmn.chain("s", "work", "e"),
        declarations=(ERRORS,),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = engine.activate_jobs("work", worker="w", timeout_ms=1_000, max_jobs=1, fetch=[])
    engine.throw_error(job.key, error_code="FAILED", error_message="", variables={})
    assert "work" in instance.terminated_ids
    run_job(engine, "cleanup")
    assert instance.state is InstanceState.COMPLETED


def test_a_non_interrupting_message_event_sub_process_runs_beside_the_main_flow(
    engine: Engine,
) -> None:
    handler = bpmn.sub_process(
        "on-note",
        bpmn.start("note-start", bpmn.message_ref("note"), interrupting=False),
        bpmn.end_event("note-end"),
        *bpmn.chain("note-start", "note-end"),
        event=True,
    )
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.service_task("work", "work"),
        bpmn.end_event("e"),
        handler,
        *bpmn.chain("s", "work", "e"),
        declarations=(bpmn.message("note", "note", key="= id"),),
    )
    instance = engine.create_instance(bpmn_process_id="p", variables={"id": "a"})
    engine.publish_message(
        "note", correlation_key="a", time_to_live_ms=0, message_id="", variables={"seen": 1}
    )
    assert "note-end" in instance.completed_ids
    assert instance.state is InstanceState.ACTIVE
    run_job(engine, "work")
    assert instance.state is InstanceState.COMPLETED  # type: ignore[comparison-overlap]  # changed by the call above
    assert instance.root.variables["seen"] == 1


def test_an_interrupting_timer_event_sub_process_ends_the_rest_of_its_scope(engine: Engine) -> None:
    handler = bpmn.sub_process(
        "on-timeout",
        bpmn.start("timeout", bpmn.timer("timeDuration", "PT10M")),
        bpmn.end_event("timeout-end"),
        *bpmn.chain("timeout", "timeout-end"),
        event=True,
    )
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.service_task("work", "work"),
        bpmn.end_event("e"),
        handler,
        *bpmn.chain("s", "work", "e"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    engine.advance_clock(10 * 60_000)
    assert instance.state is InstanceState.COMPLETED
    assert "work" in instance.terminated_ids
    assert engine.jobs.activatable_count("work") == 0


def test_a_terminate_end_event_ends_the_other_branches_and_completes_the_instance(
    engine: Engine,
) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.parallel_gateway("fork"),
        bpmn.service_task("slow", "slow"),
        bpmn.element("endEvent", "stop", "<bpmn:terminateEventDefinition/>"),
        bpmn.end_event("e"),
        *bpmn.chain("s", "fork", "slow", "e"),
        *bpmn.chain("fork", "stop"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    assert instance.state is InstanceState.COMPLETED
    assert "slow" in instance.terminated_ids
    assert engine.jobs.activatable_count("slow") == 0


def test_undefined_and_manual_tasks_and_none_throw_events_pass_through(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.element("task", "t"),
        bpmn.element("manualTask", "m"),
        bpmn.element("intermediateThrowEvent", "milestone"),
        bpmn.end_event("e"),
        *bpmn.chain("s", "t", "m", "milestone", "e"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    assert instance.state is InstanceState.COMPLETED
    assert {"t", "m", "milestone"} <= instance.completed_ids


USER_TASK = bpmn.element(
    "userTask",
    "review",
    "<bpmn:extensionElements><zeebe:userTask/>"
    '<zeebe:assignmentDefinition assignee="= reviewer" candidateGroups="ops, audit"/>'
    "</bpmn:extensionElements>",
)


def test_a_user_task_waits_for_completion_through_the_engine(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        USER_TASK,
        bpmn.end_event("e"),
        *bpmn.chain("s", "review", "e"),
    )
    instance = engine.create_instance(bpmn_process_id="p", variables={"reviewer": "ana"})
    [task] = engine.user_tasks.tasks.values()
    assert (task.assignee, task.candidate_groups) == ("ana", ["ops", "audit"])
    engine.assign_user_task(task.key, "ben")
    assert task.assignee == "ben"
    engine.complete_user_task(task.key, {"approved": True})
    assert task.state is UserTaskState.COMPLETED
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables["approved"] is True
    with pytest.raises(NotFoundError):
        engine.complete_user_task(task.key)


def test_a_cancelled_instance_cancels_its_user_task(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        USER_TASK,
        bpmn.end_event("e"),
        *bpmn.chain("s", "review", "e"),
    )
    instance = engine.create_instance(bpmn_process_id="p", variables={"reviewer": "ana"})
    engine.cancel_instance(instance.key)
    [task] = engine.user_tasks.tasks.values()
    assert task.state is UserTaskState.CANCELED


def inclusive(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.element("inclusiveGateway", "fork"),
        bpmn.service_task("a", "a"),
        bpmn.service_task("b", "b"),
        bpmn.element("inclusiveGateway", "join"),
        bpmn.end_event("e"),
        bpmn.flow("s-fork", "s", "fork"),
        bpmn.flow("to-a", "fork", "a", condition="= wantA"),
        bpmn.flow("to-b", "fork", "b", condition="= wantB"),
        *bpmn.chain("a", "join"),
        *bpmn.chain("b", "join"),
        *bpmn.chain("join", "e"),
    )


def test_an_inclusive_gateway_forks_every_true_flow_and_joins_them(engine: Engine) -> None:
    inclusive(engine)
    instance = engine.create_instance(bpmn_process_id="p", variables={"wantA": True, "wantB": True})
    run_job(engine, "a")
    assert instance.state is InstanceState.ACTIVE  # b can still reach the join
    run_job(engine, "b")
    assert instance.state is InstanceState.COMPLETED  # type: ignore[comparison-overlap]  # changed by the call above


def test_an_inclusive_join_does_not_wait_for_a_branch_that_was_not_taken(engine: Engine) -> None:
    inclusive(engine)
    instance = engine.create_instance(
        bpmn_process_id="p", variables={"wantA": True, "wantB": False}
    )
    run_job(engine, "a")
    assert instance.state is InstanceState.COMPLETED


def test_an_inclusive_gateway_with_a_null_condition_raises_an_incident(engine: Engine) -> None:
    inclusive(engine)
    instance = engine.create_instance(bpmn_process_id="p", variables={"wantA": True})
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.EXTRACT_VALUE_ERROR
    assert "to be 'BOOLEAN', but was 'NULL'" in incident.message


def test_a_feel_script_task_stores_its_result(engine: Engine) -> None:
    script = bpmn.element(
        "scriptTask",
        "sum",
        '<bpmn:extensionElements><zeebe:script expression="= a + b" resultVariable="total"/>'
        "</bpmn:extensionElements>",
    )
    deploy(engine, bpmn.start_event("s"), script, bpmn.end_event("e"), *bpmn.chain("s", "sum", "e"))
    instance = engine.create_instance(bpmn_process_id="p", variables={"a": 1, "b": 2})
    assert instance.root.variables["total"] == 3


@pytest.mark.parametrize(
    ("tag", "job_type"),
    [("sendTask", "send"), ("scriptTask", "script"), ("businessRuleTask", "rules")],
)
def test_send_script_and_business_rule_tasks_with_a_task_definition_are_jobs(
    engine: Engine, tag: Any, job_type: Any
) -> None:
    task = bpmn.element(
        tag,
        "t",
        "<bpmn:extensionElements>"
        f'<zeebe:taskDefinition type="{job_type}"/>'
        "</bpmn:extensionElements>",
    )
    deploy(engine, bpmn.start_event("s"), task, bpmn.end_event("e"), *bpmn.chain("s", "t", "e"))
    instance = engine.create_instance(bpmn_process_id="p")
    run_job(engine, job_type)
    assert instance.state is InstanceState.COMPLETED


def test_a_message_catch_inside_a_sub_process_closes_when_the_sub_process_is_interrupted(
    engine: Engine,
) -> None:
    inner = bpmn.sub_process(
        "sub",
        bpmn.start_event("sub-start"),
        bpmn.catch("wait", bpmn.message_ref("go")),
        bpmn.end_event("sub-end"),
        *bpmn.chain("sub-start", "wait", "sub-end"),
    )
    deploy(
        engine,
        bpmn.start_event("s"),
        inner,
        bpmn.boundary("late", "sub", bpmn.timer("timeDuration", "PT1M")),
        bpmn.end_event("e"),
        bpmn.end_event("late-end"),
        *bpmn.chain("s", "sub", "e"),
        *bpmn.chain("late", "late-end"),
        declarations=(bpmn.message("go", "go", key="k"),),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    engine.advance_clock(60_000)
    assert instance.state is InstanceState.COMPLETED
    assert {"sub", "wait"} <= instance.terminated_ids
    engine.publish_message(
        "go", correlation_key="k", time_to_live_ms=0, message_id="", variables={}
    )
    assert "wait" not in instance.completed_ids


def test_user_tasks_of_pruned_instances_leave_memory_with_them(clock: ManualScheduler) -> None:
    engine = Engine(clock, retained_finished=0)
    deploy(
        engine,
        bpmn.start_event("s"),
        USER_TASK,
        bpmn.end_event("e"),
        *bpmn.chain("s", "review", "e"),
    )
    engine.create_instance(bpmn_process_id="p", variables={"reviewer": "ana"})
    [task] = engine.user_tasks.tasks.values()
    engine.complete_user_task(task.key)
    assert engine.user_tasks.tasks == {}


def test_message_throw_and_end_events_with_a_task_definition_are_jobs(engine: Engine) -> None:
    job = '<bpmn:extensionElements><zeebe:taskDefinition type="notify"/></bpmn:extensionElements>'
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.element("intermediateThrowEvent", "tell", job + "<bpmn:messageEventDefinition/>"),
        bpmn.element("endEvent", "done", job + "<bpmn:messageEventDefinition/>"),
        *bpmn.chain("s", "tell", "done"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    run_job(engine, "notify")
    assert instance.state is InstanceState.ACTIVE
    run_job(engine, "notify")
    assert instance.state is InstanceState.COMPLETED  # type: ignore[comparison-overlap]  # changed by the call above
