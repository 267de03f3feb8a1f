"""The engine's state machine, driven directly with a clock that moves only when told to."""

from collections.abc import Mapping, Sequence
from typing import Any

import bpmn_parts as bpmn
import pytest
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import ManualScheduler
from zeebe_devengine.core.state import (
    ErrorType,
    IncidentState,
    InstanceState,
    JobActivation,
    JobState,
    ProcessDefinition,
)
from zeebe_devengine.errors import (
    AlreadyExistsError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)


@pytest.fixture
def clock() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
def engine(clock: ManualScheduler) -> Engine:
    return Engine(clock)


def deploy(
    engine: Engine,
    *elements: str,
    errors: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
    process_id: str = "p",
) -> ProcessDefinition:
    xml = bpmn.definitions(bpmn.process(process_id, *elements), errors=errors, messages=messages)
    return engine.deploy([(f"{process_id}.bpmn", xml.encode())]).definitions[0]


def activate(
    engine: Engine,
    job_type: str,
    *,
    timeout: int = 1_000,
    fetch: Sequence[str] = (),
    worker: str = "w",
    max_jobs: int = 10,
) -> list[JobActivation]:
    return engine.activate_jobs(
        job_type, worker=worker, timeout_ms=timeout, max_jobs=max_jobs, fetch=list(fetch)
    )


def single_task(engine: Engine, **task_options: Any) -> ProcessDefinition:
    return deploy(
        engine,
        bpmn.start_event("start"),
        bpmn.service_task("task", "work", **task_options),
        bpmn.end_event("end"),
        *bpmn.chain("start", "task", "end"),
    )


# -- deployment ---------------------------------------------------------------------------------


def test_redeploying_the_same_resource_keeps_the_version_and_a_change_adds_one(
    engine: Engine,
) -> None:
    xml = bpmn.one_task_process("p", "work").encode()
    first = engine.deploy([("p.bpmn", xml)]).definitions[0]
    again = engine.deploy([("p.bpmn", xml)]).definitions[0]
    changed = engine.deploy([("p.bpmn", bpmn.one_task_process("p", "other").encode())]).definitions[
        0
    ]
    assert (first.version, again.version, changed.version) == (1, 1, 2)
    assert again.key == first.key
    assert changed.key != first.key


def test_a_deleted_definition_is_gone_and_its_version_is_never_reused(engine: Engine) -> None:
    first = engine.deploy([("p.bpmn", bpmn.one_task_process("p", "a").encode())]).definitions[0]
    second = engine.deploy([("p.bpmn", bpmn.one_task_process("p", "b").encode())]).definitions[0]
    running = engine.create_instance(bpmn_process_id="p")
    engine.delete_resource(second.key)
    with pytest.raises(NotFoundError):
        engine.create_instance(definition_key=second.key)
    with pytest.raises(NotFoundError):
        engine.create_instance(bpmn_process_id="p", version=2)
    assert engine.create_instance(bpmn_process_id="p").definition is first
    [job] = activate(engine, "b")
    engine.complete_job(job.key, {})
    assert running.state is InstanceState.COMPLETED  # running instances drain
    third = engine.deploy([("p.bpmn", bpmn.one_task_process("p", "c").encode())]).definitions[0]
    assert third.version == 3
    assert engine.create_instance(bpmn_process_id="p", version=3).definition is third
    with pytest.raises(NotFoundError):
        engine.delete_resource(second.key)


def test_keys_look_like_a_fresh_brokers(engine: Engine) -> None:
    deployment = engine.deploy([("p.bpmn", bpmn.one_task_process("p", "work").encode())])
    assert deployment.key == 2251799813685249
    assert deployment.definitions[0].key == 2251799813685250


def test_deployment_is_atomic(engine: Engine) -> None:
    good = ("good.bpmn", bpmn.one_task_process("good", "work").encode())
    bad = ("bad.bpmn", b"<not-bpmn/>")
    with pytest.raises(InvalidArgumentError):
        engine.deploy([good, bad])
    assert engine.definitions == {}


def test_duplicate_process_ids_across_resources_and_non_bpmn_resources_are_refused(
    engine: Engine,
) -> None:
    xml = bpmn.one_task_process("p", "work").encode()
    with pytest.raises(InvalidArgumentError, match="Duplicated process id"):
        engine.deploy([("a.bpmn", xml), ("b.bpmn", xml)])
    with pytest.raises(
        InvalidArgumentError, match=r"BPMN \(.bpmn or .xml\), DMN \(.dmn\) or form \(.form\)"
    ):
        engine.deploy([("notes.txt", b"<definitions/>")])


def test_instances_start_from_the_latest_or_the_requested_version(engine: Engine) -> None:
    engine.deploy([("p.bpmn", bpmn.one_task_process("p", "v1-work").encode())])
    engine.deploy([("p.bpmn", bpmn.one_task_process("p", "v2-work").encode())])
    latest = engine.create_instance(bpmn_process_id="p")
    pinned = engine.create_instance(bpmn_process_id="p", version=1)
    assert latest.definition.version == 2
    assert pinned.definition.version == 1
    with pytest.raises(NotFoundError, match="version '3'"):
        engine.create_instance(bpmn_process_id="p", version=3)
    with pytest.raises(NotFoundError, match="process ID 'nope'"):
        engine.create_instance(bpmn_process_id="nope")


def test_version_zero_is_an_exact_version_not_the_latest(engine: Engine) -> None:
    # Zeebe: only -1 means latest; 0 names version 0, which never exists.
    engine.deploy([("p.bpmn", bpmn.one_task_process("p", "work").encode())])
    with pytest.raises(NotFoundError) as refused:
        engine.create_instance(bpmn_process_id="p", version=0)
    assert str(refused.value) == (
        "Expected to find process definition with process ID 'p' and version '0', but none found"
    )


def test_key_zero_without_an_id_is_looked_up_as_a_key_and_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError) as refused:
        engine.create_instance(definition_key=0, bpmn_process_id="")
    assert str(refused.value) == "Expected to find process definition with key '0', but none found"
    with pytest.raises(InvalidArgumentError, match="greater than -1, but none given"):
        engine.create_instance(definition_key=-1, bpmn_process_id="")


def test_the_process_id_wins_over_the_key(engine: Engine) -> None:
    first = engine.deploy([("a.bpmn", bpmn.one_task_process("a", "work").encode())]).definitions[0]
    engine.deploy([("b.bpmn", bpmn.one_task_process("b", "work").encode())])
    instance = engine.create_instance(definition_key=first.key, bpmn_process_id="b")
    assert instance.definition.bpmn_process_id == "b"


def test_deployment_errors_are_laid_out_as_zeebes(engine: Engine) -> None:
    xml = bpmn.definitions(
        bpmn.process(
            "p", bpmn.start_event("s"), '<bpmn:complexGateway id="t"/>', *bpmn.chain("s", "t")
        )
    )
    with pytest.raises(InvalidArgumentError) as refused:
        engine.deploy([("p.bpmn", xml.encode())])
    text = str(refused.value)
    assert text.startswith(
        "Expected to deploy new resources, but encountered the following errors:\n"
        "'p.bpmn': - Element: "
    )
    assert "\n    - ERROR: " in text
    assert text.endswith("\n")


def test_a_process_without_none_start_event_cannot_be_created_directly(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s", message_ref="m"),
        bpmn.end_event("e"),
        *bpmn.chain("s", "e"),
        messages={"m": "go"},
    )
    with pytest.raises(FailedPreconditionError, match="none start event"):
        engine.create_instance(bpmn_process_id="p")


# -- jobs ---------------------------------------------------------------------------------------


def test_completing_the_only_job_completes_the_instance(engine: Engine) -> None:
    single_task(engine)
    instance = engine.create_instance(bpmn_process_id="p", variables={"applicantId": "a1"})
    [job] = activate(engine, "work")
    assert job.element_id == "task"
    assert job.variables == '{"applicantId":"a1"}'
    engine.complete_job(job.key, {"verified": True})
    assert instance.state is InstanceState.COMPLETED
    assert instance.root.variables == {"applicantId": "a1", "verified": True}
    assert instance.completed_ids == {"start", "task", "end"}


def test_a_completed_job_is_gone(engine: Engine) -> None:
    single_task(engine)
    engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    engine.complete_job(job.key, {})
    with pytest.raises(NotFoundError, match="no such job"):
        engine.complete_job(job.key, {})
    with pytest.raises(NotFoundError):
        engine.complete_job(123, {})


def test_jobs_carry_headers_retries_and_only_the_fetched_variables(engine: Engine) -> None:
    single_task(engine, retries=5, headers={"rollout": "verifymenow"})
    engine.create_instance(bpmn_process_id="p", variables={"a": 1, "b": 2})
    [job] = activate(engine, "work", fetch=["b", "missing"])
    assert job.retries == 5
    assert job.custom_headers == '{"rollout": "verifymenow"}'
    assert job.variables == '{"b":2}'


def test_a_timed_out_job_returns_with_the_same_key_and_retries(
    engine: Engine, clock: ManualScheduler
) -> None:
    single_task(engine, retries=2)
    engine.create_instance(bpmn_process_id="p")
    [first] = activate(engine, "work", timeout=500, worker="slow")
    assert activate(engine, "work") == []
    clock.advance(500)
    [second] = activate(engine, "work", worker="fast")
    assert (second.key, second.retries, second.worker) == (first.key, 2, "fast")
    engine.complete_job(second.key, {})
    with pytest.raises(NotFoundError):  # the slow worker's late completion
        engine.complete_job(first.key, {})


def test_failing_with_a_backoff_delays_the_retry(engine: Engine, clock: ManualScheduler) -> None:
    single_task(engine, retries=3)
    engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    engine.fail_job(job.key, retries=2, error_message="503", retry_backoff_ms=1_000, variables={})
    clock.advance(999)
    assert activate(engine, "work") == []
    clock.advance(1)
    [again] = activate(engine, "work")
    assert (again.key, again.retries) == (job.key, 2)


def test_failing_without_retries_raises_an_incident_that_needs_retries_to_resolve(
    engine: Engine,
) -> None:
    single_task(engine)
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    engine.fail_job(
        job.key, retries=0, error_message="v2 said 503", retry_backoff_ms=0, variables={}
    )
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.JOB_NO_RETRIES
    assert incident.message == "v2 said 503"
    assert incident.job is not None
    assert incident.job.key == job.key
    with pytest.raises(FailedPreconditionError, match="FAILED"):
        engine.complete_job(job.key, {})
    engine.resolve_incident(incident.key)  # retries still 0: nothing to activate
    assert activate(engine, "work") == []
    assert engine.jobs.jobs[job.key].state is JobState.FAILED
    with pytest.raises(NotFoundError):
        engine.resolve_incident(incident.key)


def test_raising_retries_then_resolving_makes_the_job_activatable(engine: Engine) -> None:
    single_task(engine)
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    engine.fail_job(job.key, retries=0, error_message="", retry_backoff_ms=0, variables={})
    assert instance.incidents[0].message == "No more retries left."
    engine.update_job_retries(job.key, 2)
    engine.resolve_incident(instance.incidents[0].key)
    [again] = activate(engine, "work")
    assert (again.key, again.retries) == (job.key, 2)
    assert instance.incidents[0].state is IncidentState.RESOLVED


def test_update_retries_must_be_positive(engine: Engine) -> None:
    single_task(engine)
    engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    with pytest.raises(InvalidArgumentError, match="positive"):
        engine.update_job_retries(job.key, 0)


def test_update_timeout_moves_the_deadline(engine: Engine, clock: ManualScheduler) -> None:
    single_task(engine)
    engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work", timeout=100)
    engine.update_job_timeout(job.key, 10_000)
    clock.advance(5_000)
    assert activate(engine, "work") == []
    clock.advance(5_000)
    assert [j.key for j in activate(engine, "work")] == [job.key]


def test_only_an_activated_job_gets_a_new_timeout(engine: Engine) -> None:
    single_task(engine)
    engine.create_instance(bpmn_process_id="p")
    [job] = engine.jobs.jobs.values()
    with pytest.raises(FailedPreconditionError, match="is not active"):
        engine.update_job_timeout(job.key, 1_000)
    with pytest.raises(NotFoundError):
        engine.update_job_timeout(99, 1_000)


# -- variables ----------------------------------------------------------------------------------


def test_input_mappings_are_local_and_outputs_write_to_the_process(engine: Engine) -> None:
    single_task(
        engine,
        inputs={"person": "=applicant", "channel": "web"},
        outputs={"result.status": "=status", "checked": "=person.name"},
    )
    instance = engine.create_instance(bpmn_process_id="p", variables={"applicant": {"name": "Ann"}})
    [job] = activate(engine, "work")
    assert '"person":{"name":"Ann"}' in job.variables
    assert '"channel":"web"' in job.variables
    engine.complete_job(job.key, {"status": "ok", "noise": 1})
    assert instance.root.variables == {
        "applicant": {"name": "Ann"},
        "result": {"status": "ok"},
        "checked": "Ann",
    }


def test_job_variables_without_outputs_are_shadowed_by_a_local_input_of_the_same_name(
    engine: Engine,
) -> None:
    single_task(engine, inputs={"status": '="pending"'})
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    engine.complete_job(job.key, {"status": "done", "other": 1})
    assert instance.root.variables == {"other": 1}  # as in Zeebe: the local one took it


def test_set_variables_locally_or_propagated(engine: Engine) -> None:
    single_task(engine, inputs={"x": "=0"})
    instance = engine.create_instance(bpmn_process_id="p", variables={"y": 1})
    [job] = activate(engine, "work")
    engine.set_variables(job.element_instance_key, {"x": 5, "y": 2, "z": 3}, local=False)
    assert instance.root.variables == {"y": 2, "z": 3}
    engine.set_variables(job.element_instance_key, {"only_here": True}, local=True)
    assert "only_here" not in instance.root.variables
    with pytest.raises(NotFoundError, match="no such element"):
        engine.set_variables(42, {}, local=False)


# -- gateways -----------------------------------------------------------------------------------


def routed(engine: Engine) -> ProcessDefinition:
    return deploy(
        engine,
        bpmn.start_event("start"),
        bpmn.exclusive_gateway("which", default="to-v1"),
        bpmn.flow("to-v2", "which", "v2", condition="= useVersion = 2"),
        bpmn.flow("to-v1", "which", "v1"),
        bpmn.service_task("v1", "verify-v1"),
        bpmn.service_task("v2", "verify-v2"),
        bpmn.exclusive_gateway("joined"),
        bpmn.end_event("end"),
        *bpmn.chain("start", "which"),
        bpmn.flow("v1-joined", "v1", "joined"),
        bpmn.flow("v2-joined", "v2", "joined"),
        *bpmn.chain("joined", "end"),
    )


@pytest.mark.parametrize(
    ("variables", "job_type"),
    [({"useVersion": 2}, "verify-v2"), ({"useVersion": 1}, "verify-v1"), ({}, "verify-v1")],
)
def test_exclusive_gateway_takes_the_first_true_condition_else_the_default(
    engine: Engine, variables: dict[str, Any], job_type: str
) -> None:
    routed(engine)
    instance = engine.create_instance(bpmn_process_id="p", variables=variables)
    [job] = activate(engine, job_type)
    engine.complete_job(job.key, {})
    assert instance.state is InstanceState.COMPLETED
    assert "joined" in instance.completed_ids


def test_a_string_where_a_number_is_compared_raises_an_incident_with_zeebes_message(
    engine: Engine,
) -> None:
    routed(engine)
    instance = engine.create_instance(bpmn_process_id="p", variables={"useVersion": "2"})
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.EXTRACT_VALUE_ERROR
    assert incident.element.node.id == "which"
    assert incident.message == (
        "Expected result of the expression 'useVersion = 2' to be 'BOOLEAN', but was 'NULL'. "
        "The evaluation reported the following warnings:\n"
        "[NOT_COMPARABLE] Can't compare '\"2\"' with '2'"
    )
    engine.set_variables(instance.key, {"useVersion": 2}, local=False)
    engine.resolve_incident(incident.key)
    assert [j.element_id for j in activate(engine, "verify-v2")] == ["v2"]


def test_no_true_condition_and_no_default_is_a_condition_error(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("start"),
        bpmn.exclusive_gateway("g"),
        bpmn.flow("a", "g", "end", condition="= x > 1"),
        bpmn.flow("b", "g", "end", condition="= x < 0"),
        bpmn.end_event("end"),
        *bpmn.chain("start", "g"),
    )
    instance = engine.create_instance(bpmn_process_id="p", variables={"x": 0})
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.CONDITION_ERROR
    assert incident.message == (
        "Expected at least one condition to evaluate to true, or to have a default flow"
    )
    engine.set_variables(instance.key, {"x": 5}, local=False)
    engine.resolve_incident(incident.key)
    assert instance.state is InstanceState.COMPLETED


def test_parallel_gateway_forks_and_joins(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("start"),
        bpmn.parallel_gateway("fork"),
        bpmn.service_task("a", "job-a"),
        bpmn.service_task("b", "job-b"),
        bpmn.parallel_gateway("join"),
        bpmn.service_task("after", "job-after"),
        bpmn.end_event("end"),
        *bpmn.chain("start", "fork", "a", "join", "after", "end"),
        *bpmn.chain("fork", "b", "join"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    [a] = activate(engine, "job-a")
    [b] = activate(engine, "job-b")
    engine.complete_job(a.key, {})
    assert activate(engine, "job-after") == []
    assert instance.pending_tokens() == 1
    engine.complete_job(b.key, {})
    [after] = activate(engine, "job-after")
    engine.complete_job(after.key, {})
    assert instance.state is InstanceState.COMPLETED


def test_a_gateway_loop_does_not_block_the_engine(engine: Engine, clock: ManualScheduler) -> None:
    deploy(
        engine,
        bpmn.start_event("start"),
        bpmn.exclusive_gateway("g1"),
        bpmn.exclusive_gateway("g2"),
        *bpmn.chain("start", "g1", "g2"),
        bpmn.flow("back", "g2", "g1"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    assert instance.state is InstanceState.ACTIVE
    assert clock.pending >= 1  # the rest continues on the next loop turn
    engine.cancel_instance(instance.key)
    clock.advance(0)
    assert instance.state is InstanceState.TERMINATED  # type: ignore[comparison-overlap]  # changed by the call above; mypy keeps the narrowing


# -- errors -------------------------------------------------------------------------------------


def with_error_boundaries(engine: Engine) -> ProcessDefinition:
    return deploy(
        engine,
        bpmn.start_event("start"),
        bpmn.service_task("verify", "verify"),
        bpmn.error_boundary_event("rejected", "verify", error_ref="rejected-error"),
        bpmn.error_boundary_event("anything", "verify", error_ref=None),
        bpmn.end_event("ok"),
        bpmn.end_event("rejected-end"),
        bpmn.end_event("other-end"),
        *bpmn.chain("start", "verify", "ok"),
        *bpmn.chain("rejected", "rejected-end"),
        *bpmn.chain("anything", "other-end"),
        errors={"rejected-error": "IDENTITY_REJECTED"},
    )


def test_a_matching_error_code_wins_over_the_catch_all(engine: Engine) -> None:
    with_error_boundaries(engine)
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "verify")
    engine.throw_error(
        job.key, error_code="IDENTITY_REJECTED", error_message="no", variables={"reason": "x"}
    )
    assert instance.state is InstanceState.COMPLETED
    assert "rejected-end" in instance.completed_ids
    assert "verify" in instance.terminated_ids
    assert instance.root.variables == {"reason": "x"}


def test_other_codes_go_to_the_catch_all(engine: Engine) -> None:
    with_error_boundaries(engine)
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "verify")
    engine.throw_error(job.key, error_code="DOCUMENT_UNREADABLE", error_message="", variables={})
    assert "other-end" in instance.completed_ids


def test_an_uncaught_error_is_an_incident_with_zeebes_message_and_resolving_retries_the_job(
    engine: Engine,
) -> None:
    single_task(engine)
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    engine.throw_error(job.key, error_code="BOOM", error_message="it broke", variables={})
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.UNHANDLED_ERROR_EVENT
    assert incident.message == (
        "Expected to throw an error event with the code 'BOOM' with message 'it broke', "
        "but it was not caught. No error events are available in the scope."
    )
    engine.resolve_incident(incident.key)
    assert [j.key for j in activate(engine, "work")] == [job.key]


def test_an_error_end_event_without_a_catcher_is_an_incident(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.end_event("fail", error_ref="e"),
        *bpmn.chain("s", "fail"),
        errors={"e": "FATAL"},
    )
    instance = engine.create_instance(bpmn_process_id="p")
    assert instance.incidents[0].error_type is ErrorType.UNHANDLED_ERROR_EVENT
    assert "code 'FATAL'" in instance.incidents[0].message


def test_an_empty_error_code_is_caught_by_a_catch_all_boundary(engine: Engine) -> None:
    # pyzeebe's set_error_status(message) sends an empty code; Zeebe matches it like any code.
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.service_task("task", "work"),
        bpmn.error_boundary_event("any", "task", error_ref=None),
        bpmn.end_event("end"),
        bpmn.end_event("caught"),
        *bpmn.chain("s", "task", "end"),
        *bpmn.chain("any", "caught"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    engine.throw_error(job.key, error_code="", error_message="boom", variables={})
    assert instance.state is InstanceState.COMPLETED
    assert "caught" in instance.completed_ids


def test_an_empty_error_code_without_a_catch_all_is_an_unhandled_error_incident(
    engine: Engine,
) -> None:
    single_task(engine)
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    engine.throw_error(job.key, error_code="", error_message="boom", variables={})
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.UNHANDLED_ERROR_EVENT
    assert incident.message.startswith(
        "Expected to throw an error event with the code '' with message 'boom'"
    )
    assert activate(engine, "work") == []


# -- timers -------------------------------------------------------------------------------------


def test_a_timer_catch_event_waits_for_its_duration(engine: Engine, clock: ManualScheduler) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.timer_catch_event("wait", "PT1M"),
        bpmn.end_event("e"),
        *bpmn.chain("s", "wait", "e"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    clock.advance(59_999)
    assert instance.state is InstanceState.ACTIVE
    clock.advance(1)
    assert instance.state is InstanceState.COMPLETED  # type: ignore[comparison-overlap]  # changed by the call above; mypy keeps the narrowing


def test_an_interrupting_timer_boundary_cancels_the_job(
    engine: Engine, clock: ManualScheduler
) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.service_task("slow", "slow"),
        bpmn.timer_boundary_event("too-late", "slow", "PT10S"),
        bpmn.end_event("done"),
        bpmn.end_event("late"),
        *bpmn.chain("s", "slow", "done"),
        *bpmn.chain("too-late", "late"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "slow", timeout=60_000)
    clock.advance(10_000)
    assert instance.completed_ids >= {"too-late", "late"}
    assert "slow" in instance.terminated_ids
    with pytest.raises(NotFoundError):
        engine.complete_job(job.key, {})


def test_a_non_interrupting_timer_boundary_leaves_the_task_running(
    engine: Engine, clock: ManualScheduler
) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.service_task("slow", "slow"),
        bpmn.timer_boundary_event("reminder", "slow", "PT10S", interrupting=False),
        bpmn.service_task("remind", "remind"),
        bpmn.end_event("done"),
        bpmn.end_event("reminded"),
        *bpmn.chain("s", "slow", "done"),
        *bpmn.chain("reminder", "remind", "reminded"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "slow", timeout=60_000)
    clock.advance(10_000)
    [reminder] = activate(engine, "remind")
    engine.complete_job(job.key, {})
    assert instance.state is InstanceState.ACTIVE  # the reminder branch still runs
    engine.complete_job(reminder.key, {})
    assert instance.state is InstanceState.COMPLETED  # type: ignore[comparison-overlap]  # changed by the call above; mypy keeps the narrowing


def test_completing_the_task_cancels_its_boundary_timer(
    engine: Engine, clock: ManualScheduler
) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.service_task("t", "t"),
        bpmn.timer_boundary_event("late", "t", "PT10S"),
        bpmn.end_event("done"),
        bpmn.end_event("late-end"),
        *bpmn.chain("s", "t", "done"),
        *bpmn.chain("late", "late-end"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "t")
    engine.complete_job(job.key, {})
    clock.advance(20_000)
    assert "late" not in instance.completed_ids


# -- cancellation and messages ------------------------------------------------------------------


def test_cancelling_terminates_everything_and_resolves_incidents(engine: Engine) -> None:
    single_task(engine)
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = activate(engine, "work")
    engine.fail_job(job.key, retries=0, error_message="x", retry_backoff_ms=0, variables={})
    engine.cancel_instance(instance.key)
    assert instance.state is InstanceState.TERMINATED
    assert instance.terminated_ids == {"task"}
    assert instance.incidents[0].state is IncidentState.RESOLVED
    with pytest.raises(NotFoundError):
        engine.complete_job(job.key, {})
    with pytest.raises(NotFoundError, match="no such process"):
        engine.cancel_instance(instance.key)


def message_started(engine: Engine) -> ProcessDefinition:
    return deploy(
        engine,
        bpmn.start_event("s", message_ref="m"),
        bpmn.service_task("t", "handle"),
        bpmn.end_event("e"),
        *bpmn.chain("s", "t", "e"),
        messages={"m": "application-received"},
    )


def test_a_message_starts_an_instance_with_its_variables(engine: Engine) -> None:
    definition = message_started(engine)
    engine.publish_message(
        "application-received",
        correlation_key="",
        time_to_live_ms=0,
        message_id="",
        variables={"applicantId": "a7"},
    )
    [instance] = definition.instances.values()
    assert instance.root.variables == {"applicantId": "a7"}


def test_one_instance_per_correlation_key_at_a_time_the_next_message_waits(engine: Engine) -> None:
    definition = message_started(engine)
    for _ in range(2):
        engine.publish_message(
            "application-received",
            correlation_key="a7",
            time_to_live_ms=60_000,
            message_id="",
            variables={},
        )
    assert len(definition.instances) == 1
    [job] = activate(engine, "handle")
    engine.complete_job(job.key, {})
    assert len(definition.instances) == 2


def test_a_message_id_is_unique_while_buffered(engine: Engine) -> None:
    message_started(engine)
    publish: dict[str, Any] = {
        "correlation_key": "k",
        "time_to_live_ms": 60_000,
        "message_id": "m-1",
        "variables": {},
    }
    engine.publish_message("application-received", **publish)
    with pytest.raises(AlreadyExistsError):
        engine.publish_message("application-received", **publish)
