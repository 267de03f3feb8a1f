"""FEEL's now() and today() in a process read the engine's clock, pinned or not."""

import datetime as dt
import json

import bpmn_parts as bpmn
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import ManualScheduler

PINNED = int(dt.datetime(2031, 5, 17, 8, 30, tzinfo=dt.UTC).timestamp() * 1000)


def test_mappings_and_job_inputs_see_the_pinned_engine_clock() -> None:
    engine = Engine(ManualScheduler())
    model = bpmn.definitions(
        bpmn.process(
            "p",
            bpmn.start_event("start"),
            bpmn.service_task(
                "task",
                "work",
                inputs={"day": "= string(today())"},
                outputs={"stamp": "= string(now())"},
            ),
            bpmn.end_event("end"),
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>',
            '<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>',
        )
    )
    engine.deploy([("p.bpmn", model.encode())])
    engine.pin_clock(PINNED)
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = engine.activate_jobs("work", worker="w", timeout_ms=1000, max_jobs=1, fetch=[])
    assert json.loads(job.variables)["day"] == "2031-05-17"
    engine.complete_job(job.key, {})
    assert instance.root.variables["stamp"] == "2031-05-17T08:30:00Z"
