"""Camunda's official Python SDK (camunda-orchestration-sdk 9.x, generated from the 8.9 spec)
drives the dev engine over REST, as a new user would.

Every response is checked twice: against the 8.9 spec as it arrives (the `camunda` fixture),
and by `strict`, which fails on any field the SDK's models did not know or never received.
"""

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from api_conformance import sdk_model_problems
from camunda_orchestration_sdk import CamundaAsyncClient, WorkerConfig
from camunda_orchestration_sdk.models import (
    AdvancedStringFilter,
    ClockPinRequest,
    CursorBasedBackwardPagination,
    CursorBasedForwardPagination,
    IncidentSearchQuery,
    IncidentSearchQueryFilter,
    JobChangeset,
    JobUpdateRequest,
    MessagePublicationRequest,
    MessagePublicationRequestVariables,
    OffsetBasedPagination,
    ProcessCreationById,
    ProcessDefinitionSearchQuery,
    ProcessDefinitionSearchQueryFilter,
    ProcessInstanceCreationInstructionByIdVariables,
    ProcessInstanceSearchQuery,
    ProcessInstanceSearchQueryFilter,
    ProcessInstanceSearchQuerySortRequest,
    ProcessInstanceSearchQuerySortRequestField,
    SortOrderEnum,
)
from camunda_orchestration_sdk.runtime.job_worker import ConnectedJobContext, JobFailure
from camunda_orchestration_sdk.semantic_types import (
    EndCursor,
    IncidentKey,
    ProcessDefinitionId,
    ProcessInstanceKey,
    StartCursor,
)
from zeebe_devengine.bpmn.builder import chain, definitions, end_event, process, start_event
from zeebe_devengine.bpmn.builder import one_task_process as task_process
from zeebe_devengine.bpmn.snippets import catch, message, message_ref, model, timer

pytestmark = pytest.mark.engine

T = TypeVar("T")


def strict(model: T) -> T:
    """`model` once it holds exactly the fields the SDK's 8.9 models declare."""
    problems = sdk_model_problems(model)
    assert not problems, "\n".join(problems)
    return model


class Names:
    """Process ids and job types unique to one test (a real cluster is shared)."""

    def __init__(self) -> None:
        self.suffix = uuid.uuid4().hex[:10]

    def __call__(self, base: str) -> str:
        return f"{base}-{self.suffix}"


@pytest.fixture
def names() -> Names:
    return Names()


async def deploy(camunda: CamundaAsyncClient, folder: Path, name: str, xml: str) -> str:
    """Deploy one BPMN file through the SDK; the process definition's key."""
    path = folder / name
    path.write_text(xml)
    deployment = strict(await camunda.deploy_resources_from_files([path]))
    [deployed] = deployment.processes
    return str(deployed.process_definition_key)


async def start(
    camunda: CamundaAsyncClient, process_id: str, variables: dict[str, Any] | None = None
) -> str:
    created = strict(
        await camunda.create_process_instance(
            data=ProcessCreationById(
                process_definition_id=ProcessDefinitionId(process_id),
                variables=ProcessInstanceCreationInstructionByIdVariables.from_dict(
                    variables or {}
                ),
            )
        )
    )
    return str(created.process_instance_key)


async def state_of(camunda: CamundaAsyncClient, key: str) -> str:
    instance = strict(await camunda.get_process_instance(ProcessInstanceKey(key)))
    return str(instance.state.value)


async def eventually_state(camunda: CamundaAsyncClient, key: str, wanted: str) -> None:
    """Poll until the instance is in `wanted` (a real cluster's search side trails)."""
    async with asyncio.timeout(30):
        while await state_of(camunda, key) != wanted:
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def sdk_worker(
    camunda: CamundaAsyncClient,
    config: WorkerConfig,
    handler: Callable[[ConnectedJobContext], Coroutine[Any, Any, dict[str, Any]]],
) -> AsyncIterator[None]:
    """The SDK's own job worker (long polling over REST), stopped and cleaned up afterwards."""
    worker = camunda.create_job_worker(config, handler)
    try:
        yield
    finally:
        worker.stop()  # type: ignore[no-untyped-call]  # unannotated in the SDK
        if worker.polling_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await worker.polling_task
        # stop() leaves the worker's private event loop and pools open (ResourceWarning).
        worker.worker_loop.close()
        worker.thread_pool.shutdown()
        worker.process_pool.shutdown()


async def test_topology_and_status_parse_in_the_sdk(camunda: CamundaAsyncClient) -> None:
    topology = strict(await camunda.get_topology())
    assert topology.cluster_size >= 1
    assert topology.brokers[0].partitions
    await camunda.get_status()  # 204 while a partition has a healthy leader


async def test_deploy_create_with_await_completion_and_read_it_back(
    camunda: CamundaAsyncClient, names: Names, tmp_path: Path
) -> None:
    process_id = names("straight")
    xml = definitions(
        process(process_id, start_event("s"), end_event("e"), *chain("s", "e"), name="Straight")
    )
    key = await deploy(camunda, tmp_path, "straight.bpmn", xml)
    result = strict(
        await camunda.create_process_instance(
            data=ProcessCreationById(
                process_definition_id=ProcessDefinitionId(process_id),
                variables=ProcessInstanceCreationInstructionByIdVariables.from_dict(
                    {"order": 7, "who": "x"}
                ),
                await_completion=True,
                fetch_variables=["order"],
            )
        )
    )
    assert result.variables.to_dict() == {"order": 7}
    definition = strict(await camunda.get_process_definition(result.process_definition_key))
    assert (definition.name, definition.process_definition_id) == ("Straight", process_id)
    assert str(definition.process_definition_key) == key
    assert process_id in await camunda.get_process_definition_xml(result.process_definition_key)
    found = strict(
        await camunda.search_process_definitions(
            data=ProcessDefinitionSearchQuery(
                filter_=ProcessDefinitionSearchQueryFilter(process_definition_id=process_id)
            )
        )
    )
    assert [str(item.process_definition_key) for item in found.items] == [key]
    await eventually_state(camunda, str(result.process_instance_key), "COMPLETED")


async def test_the_sdks_job_worker_completes_jobs_to_the_end(
    camunda: CamundaAsyncClient, names: Names, tmp_path: Path
) -> None:
    process_id, job_type = names("work"), names("work-job")
    await deploy(camunda, tmp_path, "work.bpmn", task_process(process_id, job_type))
    keys = [await start(camunda, process_id, {"n": n}) for n in range(3)]
    seen: list[int] = []

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        seen.append(job.variables.to_dict()["n"])
        return {"doubled": job.variables.to_dict()["n"] * 2}

    config = WorkerConfig(
        job_type=job_type,
        job_timeout_milliseconds=30_000,
        request_timeout_milliseconds=1_000,
        fetch_variables=["n"],
    )
    async with sdk_worker(camunda, config, handler):
        for key in keys:
            await eventually_state(camunda, key, "COMPLETED")
    assert sorted(seen) == [0, 1, 2]


async def test_a_failed_job_becomes_an_incident_that_resolves(
    camunda: CamundaAsyncClient, names: Names, tmp_path: Path
) -> None:
    process_id, job_type = names("flaky"), names("flaky-job")
    await deploy(camunda, tmp_path, "flaky.bpmn", task_process(process_id, job_type))
    key = await start(camunda, process_id)
    attempts: list[str] = []

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        attempts.append(str(job.job_key))
        if len(attempts) == 1:
            raise JobFailure("VerifyMeNow answered 503", retries=0)
        return {}

    config = WorkerConfig(job_type=job_type, job_timeout_milliseconds=30_000)
    async with sdk_worker(camunda, config, handler):
        query = IncidentSearchQuery(
            filter_=IncidentSearchQueryFilter(process_definition_id=process_id)
        )
        async with asyncio.timeout(30):
            while not (incidents := strict(await camunda.search_incidents(data=query)).items):
                await asyncio.sleep(0.05)
        [incident] = incidents
        assert incident.error_message == "VerifyMeNow answered 503"
        assert str(incident.process_instance_key) == key
        single = strict(await camunda.get_incident(IncidentKey(str(incident.incident_key))))
        assert single.state.value == "ACTIVE"
        assert await state_of(camunda, key) == "ACTIVE"
        # As Operate does: give the job a retry, then resolve the incident.
        assert incident.job_key is not None
        await camunda.update_job(
            incident.job_key, data=JobUpdateRequest(changeset=JobChangeset(retries=1))
        )
        await camunda.resolve_incident(incident.incident_key)
        await eventually_state(camunda, key, "COMPLETED")
    assert len(attempts) == 2
    resolved = strict(await camunda.get_incident(incident.incident_key))
    assert resolved.state.value == "RESOLVED"


async def test_a_published_message_reaches_the_waiting_instance(
    camunda: CamundaAsyncClient, names: Names, tmp_path: Path
) -> None:
    process_id, message_name = names("paid"), names("order-paid")
    xml = model(
        start_event("s"),
        catch("wait", message_ref("m")),
        end_event("e"),
        *chain("s", "wait", "e"),
        declarations=(message("m", message_name, key="= orderId"),),
        process_id=process_id,
    ).decode()
    await deploy(camunda, tmp_path, "paid.bpmn", xml)
    key = await start(camunda, process_id, {"orderId": "o-1"})
    await eventually_state(camunda, key, "ACTIVE")
    published = strict(
        await camunda.publish_message(
            data=MessagePublicationRequest(
                name=message_name,
                correlation_key="o-1",
                time_to_live=60_000,
                variables=MessagePublicationRequestVariables.from_dict({"paid": True}),
            )
        )
    )
    assert published.message_key
    await eventually_state(camunda, key, "COMPLETED")


async def test_searches_page_by_offset_and_by_both_cursors(
    camunda: CamundaAsyncClient, names: Names, tmp_path: Path
) -> None:
    process_id = names("many")
    xml = definitions(process(process_id, start_event("s"), end_event("e"), *chain("s", "e")))
    await deploy(camunda, tmp_path, "many.bpmn", xml)
    created = [await start(camunda, process_id) for _ in range(5)]
    by_key = [
        ProcessInstanceSearchQuerySortRequest(
            field=ProcessInstanceSearchQuerySortRequestField.PROCESSINSTANCEKEY,
            order=SortOrderEnum.ASC,
        )
    ]
    selection = ProcessInstanceSearchQueryFilter(
        process_definition_id=AdvancedStringFilter(eq=process_id)
    )

    async def search(page: Any) -> Any:
        query = ProcessInstanceSearchQuery(filter_=selection, sort=by_key, page=page)
        return strict(await camunda.search_process_instances(data=query))

    async with asyncio.timeout(30):
        while (await search(OffsetBasedPagination(limit=1))).page.total_items < 5:
            await asyncio.sleep(0.05)
    first = await search(OffsetBasedPagination(from_=0, limit=2))
    assert first.page.total_items == 5
    after = await search(
        CursorBasedForwardPagination(after=EndCursor(first.page.end_cursor), limit=2)
    )
    last = await search(
        CursorBasedForwardPagination(after=EndCursor(after.page.end_cursor), limit=2)
    )
    keys = [str(item.process_instance_key) for page in (first, after, last) for item in page.items]
    assert keys == sorted(created, key=int)
    back = await search(
        CursorBasedBackwardPagination(before=StartCursor(last.page.start_cursor), limit=2)
    )
    assert [str(item.process_instance_key) for item in back.items] == keys[2:4]
    offset = await search(OffsetBasedPagination(from_=4, limit=2))
    assert [str(item.process_instance_key) for item in offset.items] == keys[4:]


async def test_pinning_the_clock_fires_a_timer(
    camunda: CamundaAsyncClient, names: Names, tmp_path: Path
) -> None:
    process_id = names("wait-an-hour")
    xml = definitions(
        process(
            process_id,
            start_event("s"),
            catch("wait", timer("timeDuration", "PT1H")),
            end_event("e"),
            *chain("s", "wait", "e"),
        )
    )
    await deploy(camunda, tmp_path, "wait.bpmn", xml)
    now = int(time.time() * 1000)
    await camunda.pin_clock(data=ClockPinRequest(timestamp=now))
    try:
        key = await start(camunda, process_id)
        await camunda.pin_clock(data=ClockPinRequest(timestamp=now + 30 * 60_000))
        assert await state_of(camunda, key) == "ACTIVE"
        await camunda.pin_clock(data=ClockPinRequest(timestamp=now + 61 * 60_000))
        await eventually_state(camunda, key, "COMPLETED")
    finally:
        await camunda.reset_clock()
