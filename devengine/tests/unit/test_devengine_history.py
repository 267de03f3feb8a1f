"""Element statistics as Operate counts them, and pruning that keeps them right."""

from typing import Any

import bpmn_parts as bpmn
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.history import archived_buckets, element_statistics
from zeebe_devengine.core.scheduler import ManualScheduler
from zeebe_devengine.core.state import InstanceState, ProcessDefinition, ProcessInstance

ROUTED = bpmn.definitions(
    bpmn.process(
        "p",
        bpmn.start_event("start"),
        bpmn.exclusive_gateway("which", default="to-v1"),
        bpmn.flow("to-v2", "which", "v2", condition="= useVersion = 2"),
        bpmn.flow("to-v1", "which", "v1"),
        bpmn.service_task("v1", "verify-v1"),
        bpmn.service_task("v2", "verify-v2"),
        bpmn.end_event("end"),
        *bpmn.chain("start", "which"),
        bpmn.flow("v1-end", "v1", "end"),
        bpmn.flow("v2-end", "v2", "end"),
    )
).encode()


def make_engine(retained: int) -> tuple[Engine, ProcessDefinition]:
    engine = Engine(ManualScheduler(), retained_finished=retained)
    definition = engine.deploy([("p.bpmn", ROUTED)]).definitions[0]
    return engine, definition


def run(engine: Engine, version: int, *, outcome: str = "complete") -> ProcessInstance:
    instance = engine.create_instance(bpmn_process_id="p", variables={"useVersion": version})
    [job] = engine.activate_jobs(
        f"verify-v{version}", worker="w", timeout_ms=1000, max_jobs=1, fetch=[]
    )
    if outcome == "complete":
        engine.complete_job(job.key, {})
    elif outcome == "incident":
        engine.fail_job(job.key, retries=0, error_message="x", retry_backoff_ms=0, variables={})
    elif outcome == "cancel":
        engine.cancel_instance(instance.key)
    return instance


def stats(definition: ProcessDefinition, **kwargs: Any) -> dict[str, tuple[int, int, int, int]]:
    kwargs.setdefault("matches", lambda _instance: True)
    return {
        entry.element_id: (entry.active, entry.canceled, entry.incidents, entry.completed)
        for entry in element_statistics(definition, **kwargs)
    }


def test_statistics_count_instances_per_element_and_state() -> None:
    engine, definition = make_engine(retained=100)
    run(engine, 1)
    run(engine, 2, outcome="incident")
    run(engine, 2, outcome="cancel")
    engine.create_instance(bpmn_process_id="p", variables={"useVersion": 1})  # waiting at v1
    counted = stats(definition)
    #                 active canceled incidents completed
    assert counted["v1"] == (1, 0, 0, 1)
    assert counted["v2"] == (0, 1, 1, 0)
    assert counted["start"] == (0, 0, 0, 4)
    assert counted["end"] == (0, 0, 0, 1)


def test_pruned_instances_leave_memory_but_not_the_statistics() -> None:
    engine, definition = make_engine(retained=3)
    for i in range(10):
        run(engine, 1 + i % 2, outcome="cancel" if i == 0 else "complete")
    assert len(definition.instances) == 3
    assert len(engine.instances) == 3
    assert engine.history.pruned == 7
    everything = [*archived_buckets(definition, states=list(InstanceState), variable=None)]
    counted = stats(definition, archived=everything)
    assert counted["start"][3] == 10
    assert counted["v1"][1:] == (1, 0, 4)  # one cancelled, four completed
    assert counted["v2"][3] == 5


def test_pruned_counts_can_still_be_split_by_a_small_variable() -> None:
    engine, definition = make_engine(retained=0)
    for version in (1, 2, 2, 2):
        run(engine, version)
    v2_only = archived_buckets(
        definition, states=[InstanceState.COMPLETED], variable=("useVersion", "2")
    )
    counted = stats(definition, archived=v2_only)
    assert counted["v2"][3] == 3
    assert "v1" not in counted


def test_finished_instances_share_their_element_sets() -> None:
    engine, _ = make_engine(retained=100)
    first = run(engine, 1)
    second = run(engine, 1)
    assert first.completed_ids is second.completed_ids
    assert not first.active


def test_many_valued_variables_are_not_kept_as_dimensions() -> None:
    engine, definition = make_engine(retained=0)
    for i in range(40):
        instance = engine.create_instance(
            bpmn_process_id="p", variables={"applicantId": f"a{i}", "useVersion": 1}
        )
        [job] = engine.activate_jobs("verify-v1", worker="w", timeout_ms=1000, max_jobs=1, fetch=[])
        engine.complete_job(job.key, {})
        assert instance.state is InstanceState.COMPLETED
    assert "applicantId" in definition.untracked_variables
    assert (
        archived_buckets(
            definition, states=[InstanceState.COMPLETED], variable=("applicantId", '"a1"')
        )
        == []
    )
    [kept] = archived_buckets(
        definition, states=[InstanceState.COMPLETED], variable=("useVersion", "1")
    )
    assert kept.instances == 40
