"""Issue 16, item 12: `canary deploy` says why the gateway refused, and what is too large."""

from pathlib import Path

import pytest
from support.commands import canary

pytestmark = [pytest.mark.engine]

NO_TASK_TYPE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="broken-process" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="task-without-type"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task-without-type"/>
    <bpmn:sequenceFlow id="f2" sourceRef="task-without-type" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


async def deploy(*args: str) -> tuple[int, str, str]:
    return await canary("deploy", *args, timeout=60)


async def test_a_refused_model_shows_the_element_and_the_problem(zeebe_target, tmp_path: Path):
    model = tmp_path / "broken.bpmn"
    model.write_text(NO_TASK_TYPE)
    code, out, err = await deploy(str(model), "--address", zeebe_target.grpc_address)
    assert (code, out) == (1, "")
    [line] = err.strip().splitlines()
    assert line.startswith("canary: error: the cluster refused broken.bpmn: ")
    assert "task-without-type" in line  # the element, from the lines after the first
    assert "taskDefinition" in line  # and the problem


async def test_a_file_over_four_megabytes_gets_a_clear_line_not_a_connection_error(
    zeebe_target, tmp_path: Path
):
    model = tmp_path / "huge.bpmn"
    model.write_text(NO_TASK_TYPE.replace("</bpmn:definitions>", "<!--" + "x" * (5 << 20) + "-->"))
    code, out, err = await deploy(str(model), "--address", zeebe_target.grpc_address)
    assert (code, out) == (1, "")
    assert err.strip() == (
        f"canary: error: {model} is 5.0 MB: the Zeebe gateway takes at most 4 MB per deployment"
        " (its gRPC message size limit)"
    )
