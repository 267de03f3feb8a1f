"""Deploying through the gateway: versions, atomicity, refusals, and a fuzzed deploy path."""

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from engine_harness import ExpectError, Harness
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyzeebe.errors import ProcessInvalidError
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub
from zeebe_devengine.bpmn.builder import one_task_process
from zeebe_devengine.server import DevEngine

pytestmark = pytest.mark.engine


def deploy_request(*resources: tuple[str, bytes]) -> Any:
    return pb.DeployResourceRequest(
        resources=[pb.Resource(name=name, content=content) for name, content in resources]
    )


async def test_deploying_returns_the_process_metadata_and_versions_changes_only(
    zb: Harness,
) -> None:
    model = one_task_process(zb.name("p"), zb.name("t"))
    first = await zb.deploy(model)
    again = await zb.deploy(model)
    changed = await zb.deploy(one_task_process(zb.name("p"), zb.name("other")))
    [meta] = first.deployments
    assert (meta.bpmn_process_id, meta.version, meta.resource_name) == (
        zb.name("p"),
        1,
        "model-0.bpmn",
    )
    assert again.deployments[0].version == 1
    assert again.deployments[0].process_definition_key == meta.process_definition_key
    assert changed.deployments[0].version == 2


async def test_a_deployment_with_one_broken_resource_deploys_nothing(
    zb: Harness, expect_error: ExpectError
) -> None:
    good = ("good.bpmn", one_task_process(zb.name("good"), zb.name("t")).encode())
    broken = ("broken.bpmn", b"<bpmn:definitions")
    details = await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, zb.stub.DeployResource(deploy_request(good, broken))
    )
    assert "broken.bpmn" in details
    body = await zb.post(
        "/v2/process-definitions/search", {"filter": {"processDefinitionId": zb.name("good")}}
    )
    assert body["items"] == []


async def test_invalid_models_are_invalid_argument_through_pyzeebe(zb: Harness) -> None:
    with pytest.raises(ProcessInvalidError):
        await zb.deploy("<definitions>not bpmn</definitions>")


async def test_elements_outside_the_subset_are_refused_naming_them(
    zb: Harness, expect_error: ExpectError
) -> None:
    zb.target.require_dev_engine("a real cluster refuses complex gateways in its own words")
    model = one_task_process(zb.name("p"), "t", extra=['<bpmn:complexGateway id="by-hand"/>'])
    details = await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        zb.stub.DeployResource(deploy_request(("p.bpmn", model.encode()))),
    )
    assert "by-hand" in details
    assert "not supported by the dev engine" in details


# -- fuzzing the deploy path over gRPC --------------------------------------------------------
# Hypothesis drives plain functions, so the engine runs on its own loop in a thread and the
# examples are sent with a synchronous channel.


@pytest.fixture(scope="module")
def engine_address() -> Iterator[str]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    address: list[str] = []
    stop = loop.create_future()

    async def serve() -> None:
        async with DevEngine(port=0, rest_port=None) as engine:
            address.append(engine.grpc_address)
            ready.set()
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield address[0]
    loop.call_soon_threadsafe(stop.set_result, None)
    thread.join(10)
    loop.close()


@pytest.fixture(scope="module")
def sync_stub(engine_address: str) -> Iterator[GatewayStub]:
    with grpc.insecure_channel(engine_address) as channel:
        yield GatewayStub(channel)


def deploy_or_refusal(stub: GatewayStub, content: bytes) -> grpc.StatusCode:
    """Deploys, or the refusal's status code; anything else fails the test."""
    try:
        stub.DeployResource(deploy_request(("fuzz.bpmn", content)), timeout=10)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


VALID = one_task_process("fuzzed", "fuzz-job").encode()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(content=st.binary(max_size=3000))
def test_random_bytes_are_refused_as_invalid_argument(
    sync_stub: GatewayStub, content: bytes
) -> None:
    assert deploy_or_refusal(sync_stub, content) == grpc.StatusCode.INVALID_ARGUMENT


@FUZZ
@given(
    mutations=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(VALID) - 1),
            st.integers(min_value=0, max_value=30),
            st.sampled_from([b"", b"<", b"/>", b'"', b"x", b"=", b"bpmn:", b"zeebe:", b"\xff"]),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_models_deploy_or_are_invalid_argument_never_internal(
    sync_stub: GatewayStub, mutations: list[tuple[int, int, bytes]]
) -> None:
    content = VALID
    for position, length, replacement in mutations:
        content = content[:position] + replacement + content[position + length :]
    code = deploy_or_refusal(sync_stub, content)
    assert code in {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT}


def test_the_engine_still_serves_after_the_fuzzing(sync_stub: GatewayStub) -> None:
    """Runs after the fuzz tests in this module: deploying and starting still work."""
    with contextlib.suppress(grpc.RpcError):
        sync_stub.DeployResource(deploy_request(("fuzz.bpmn", VALID)), timeout=10)
    response = sync_stub.CreateProcessInstance(
        pb.CreateProcessInstanceRequest(bpmnProcessId="fuzzed", version=-1), timeout=10
    )
    assert response.processInstanceKey > 0


def form(form_id: str, text: str = "Approve?") -> bytes:
    return (
        f'{{"id": "{form_id}", "type": "default", "schemaVersion": 16,'
        f' "components": [{{"type": "text", "text": "{text}"}}]}}'
    ).encode()


async def test_a_form_deploys_beside_its_process_and_is_answered_with_its_metadata(
    zb: Harness,
) -> None:
    model = ("p.bpmn", one_task_process(zb.name("p"), zb.name("t")).encode())
    first = await zb.stub.DeployResource(deploy_request(model, ("a.form", form(zb.name("f")))))
    again = await zb.stub.DeployResource(deploy_request(("a.form", form(zb.name("f")))))
    changed = await zb.stub.DeployResource(deploy_request(("a.form", form(zb.name("f"), "Sure?"))))
    [process] = [d.process for d in first.deployments if d.WhichOneof("Metadata") == "process"]
    [meta] = [d.form for d in first.deployments if d.WhichOneof("Metadata") == "form"]
    assert process.bpmnProcessId == zb.name("p")
    assert (meta.formId, meta.version, meta.resourceName) == (zb.name("f"), 1, "a.form")
    assert meta.formKey > 0
    # Unchanged content keeps its version and key, as for processes; a change is version 2.
    assert (again.deployments[0].form.version, again.deployments[0].form.formKey) == (
        1,
        meta.formKey,
    )
    assert changed.deployments[0].form.version == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"{not json", "not valid JSON"), (b'{"components": []}', "to have an id")],
)
async def test_a_broken_form_deploys_nothing(
    zb: Harness, expect_error: ExpectError, content: bytes, problem: str
) -> None:
    model = ("p.bpmn", one_task_process(zb.name("p"), zb.name("t")).encode())
    details = await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        zb.stub.DeployResource(deploy_request(model, ("broken.form", content))),
    )
    assert "broken.form" in details
    assert problem in details
    body = await zb.post(
        "/v2/process-definitions/search", {"filter": {"processDefinitionId": zb.name("p")}}
    )
    assert body["items"] == []
