"""Refusals worded as Zeebe's gateway words them: ``Command 'X' rejected with code 'Y': ...``.

Zeebe prefixes every command its engine rejects with the command's intent and the rejection
type (INVALID_STATE for FAILED_PRECONDITION); what the gateway refuses itself (a variables
document that is not an object) carries no prefix.
"""

import grpc
import pytest
from engine_harness import ExpectError, Harness
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import one_task_process

pytestmark = pytest.mark.engine


async def test_an_unknown_process_is_a_rejected_create_command(
    zb: Harness, expect_error: ExpectError
) -> None:
    request = pb.CreateProcessInstanceRequest(bpmnProcessId=zb.name("nope"), version=-1)
    details = await expect_error(grpc.StatusCode.NOT_FOUND, zb.stub.CreateProcessInstance(request))
    assert details == (
        "Command 'CREATE' rejected with code 'NOT_FOUND': Expected to find process definition "
        f"with process ID '{zb.name('nope')}', but none found"
    )


async def test_version_zero_is_exact_and_not_found(zb: Harness, expect_error: ExpectError) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    request = pb.CreateProcessInstanceRequest(bpmnProcessId=zb.name("p"), version=0)
    details = await expect_error(grpc.StatusCode.NOT_FOUND, zb.stub.CreateProcessInstance(request))
    assert details.endswith(f"process ID '{zb.name('p')}' and version '0', but none found")


async def test_key_zero_and_no_id_is_not_found_by_key(
    zb: Harness, expect_error: ExpectError
) -> None:
    request = pb.CreateProcessInstanceRequest(processDefinitionKey=0)
    details = await expect_error(grpc.StatusCode.NOT_FOUND, zb.stub.CreateProcessInstance(request))
    assert details == (
        "Command 'CREATE' rejected with code 'NOT_FOUND': "
        "Expected to find process definition with key '0', but none found"
    )


async def test_completing_an_unknown_job_is_a_rejected_complete_command(
    zb: Harness, expect_error: ExpectError
) -> None:
    details = await expect_error(
        grpc.StatusCode.NOT_FOUND, zb.stub.CompleteJob(pb.CompleteJobRequest(jobKey=1))
    )
    assert details == (
        "Command 'COMPLETE' rejected with code 'NOT_FOUND': "
        "Expected to complete job with key '1', but no such job was found"
    )


@pytest.mark.parametrize(
    ("document", "kind"), [("null", "NIL"), ("[]", "ARRAY"), ("1", "INTEGER"), ('"x"', "STRING")]
)
async def test_a_variables_document_that_is_not_an_object_names_its_msgpack_type(
    zb: Harness, expect_error: ExpectError, document: str, kind: str
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    request = pb.CreateProcessInstanceRequest(
        bpmnProcessId=zb.name("p"), version=-1, variables=document
    )
    details = await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, zb.stub.CreateProcessInstance(request)
    )
    assert details == (
        f"Property 'variables' is invalid: Expected document to be a root level object, "
        f"but was '{kind}'"
    )


async def test_a_refused_deployment_is_a_rejected_create_command(
    zb: Harness, expect_error: ExpectError
) -> None:
    request = pb.DeployResourceRequest(
        resources=[pb.Resource(name="broken.bpmn", content=b"<bpmn:definitions")]
    )
    details = await expect_error(grpc.StatusCode.INVALID_ARGUMENT, zb.stub.DeployResource(request))
    assert details.startswith(
        "Command 'CREATE' rejected with code 'INVALID_ARGUMENT': Expected to deploy new "
        "resources, but encountered the following errors:\n'broken.bpmn': "
    )
