"""The Zeebe Gateway gRPC service (``gateway_protocol.Gateway``) over the in-memory engine.

Served with the stubs pyzeebe ships. Status codes follow Zeebe: INVALID_ARGUMENT for malformed
requests and invalid resources, NOT_FOUND for unknown keys, FAILED_PRECONDITION for entities
in the wrong state, ALREADY_EXISTS for a duplicate message id, DEADLINE_EXCEEDED when
CreateProcessInstanceWithResult times out. Calls outside the supported set answer
UNIMPLEMENTED with a message saying so. A bug in the engine answers INTERNAL and is logged
with its traceback; client input never causes one.
"""

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn, TypeVar

import grpc
import structlog
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayServicer

from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.state import DEFAULT_TENANT, JobActivation, ProcessInstance
from zeebe_devengine.core.variables import parse_document, to_json_text
from zeebe_devengine.errors import (
    AlreadyExistsError,
    DevEngineError,
    FailedPreconditionError,
    InvalidArgumentError,
    MalformedRequestError,
    NotFoundError,
    rejection_text,
)
from zeebe_devengine.gateway.decisions import decision_deployments
from zeebe_devengine.gateway.decisions import evaluate as evaluate_decision
from zeebe_devengine.gateway.dispatch import JobDispatcher
from zeebe_devengine.version import GATEWAY_VERSION

log = structlog.get_logger(__name__)

#: Long-poll time when a request says 0, as Zeebe's gateway default.
DEFAULT_LONG_POLL_MS = 10_000
#: CreateProcessInstanceWithResult's timeout when the request says 0.
DEFAULT_REQUEST_TIMEOUT_MS = 15_000
#: Upper bound for client-supplied waits (absurd values must not overflow the loop's clock).
MAX_WAIT_MS = 24 * 3_600_000

_STATUS: dict[type[DevEngineError], Any] = {
    InvalidArgumentError: grpc.StatusCode.INVALID_ARGUMENT,
    NotFoundError: grpc.StatusCode.NOT_FOUND,
    FailedPreconditionError: grpc.StatusCode.FAILED_PRECONDITION,
    AlreadyExistsError: grpc.StatusCode.ALREADY_EXISTS,
}

T = TypeVar("T")


def status_for(exc: DevEngineError) -> Any:
    for kind in type(exc).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    return grpc.StatusCode.INTERNAL


def _check_tenant(tenant_id: str) -> None:
    if tenant_id not in {"", DEFAULT_TENANT}:
        msg = (
            f"Expected to handle gRPC request with tenant identifier '{tenant_id}', "
            "but multi-tenancy is disabled"
        )
        raise MalformedRequestError(msg)


def _activated(job: JobActivation) -> Any:
    return pb.ActivatedJob(
        key=job.key,
        type=job.type,
        processInstanceKey=job.process_instance_key,
        bpmnProcessId=job.bpmn_process_id,
        processDefinitionVersion=job.process_definition_version,
        processDefinitionKey=job.process_definition_key,
        elementId=job.element_id,
        elementInstanceKey=job.element_instance_key,
        customHeaders=job.custom_headers,
        worker=job.worker,
        retries=job.retries,
        deadline=job.deadline,
        variables=job.variables,
        tenantId=job.tenant_id,
    )


class GatewayService(GatewayServicer):
    def __init__(self, engine: Engine, dispatcher: JobDispatcher, *, host: str, port: int) -> None:
        self._engine = engine
        self._dispatcher = dispatcher
        self._host = host
        self._port = port

    async def _run(self, context: Any, operation: Callable[[], T], intent: str = "") -> T:
        """Run a command; a refusal is worded as Zeebe's rejection of `intent`."""
        try:
            return operation()
        except DevEngineError as exc:
            await context.abort(status_for(exc), rejection_text(exc, intent))
        except Exception as exc:
            log.exception("dev engine bug while handling a request")
            await context.abort(grpc.StatusCode.INTERNAL, f"dev engine bug: {exc!r}")
        raise AssertionError  # pragma: no cover - abort always raises

    @staticmethod
    async def _invalid(context: Any, message: str) -> NoReturn:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, message)
        raise AssertionError  # pragma: no cover - abort always raises

    # -- cluster --------------------------------------------------------------------------------

    async def Topology(self, _request: Any, _context: Any) -> Any:  # noqa: N802 - gRPC names
        partition = pb.Partition(
            partitionId=1, role=pb.Partition.LEADER, health=pb.Partition.HEALTHY
        )
        broker = pb.BrokerInfo(
            nodeId=0,
            host=self._host,
            port=self._port,
            partitions=[partition],
            version=GATEWAY_VERSION,
        )
        return pb.TopologyResponse(
            brokers=[broker],
            clusterSize=1,
            partitionsCount=1,
            replicationFactor=1,
            gatewayVersion=GATEWAY_VERSION,
        )

    # -- deployment and instances ---------------------------------------------------------------

    async def DeployResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        def deploy() -> Any:
            _check_tenant(request.tenantId)
            deployment = self._engine.deploy(
                [(resource.name, bytes(resource.content)) for resource in request.resources]
            )
            return pb.DeployResourceResponse(
                key=deployment.key,
                tenantId=DEFAULT_TENANT,
                deployments=[
                    pb.Deployment(
                        process=pb.ProcessMetadata(
                            bpmnProcessId=definition.bpmn_process_id,
                            version=definition.version,
                            processDefinitionKey=definition.key,
                            resourceName=definition.resource_name,
                            tenantId=definition.tenant_id,
                        )
                    )
                    for definition in deployment.definitions
                ]
                + decision_deployments(deployment)
                + [
                    pb.Deployment(
                        form=pb.FormMetadata(
                            formId=form.form_id,
                            version=form.version,
                            formKey=form.key,
                            resourceName=form.resource_name,
                            tenantId=form.tenant_id,
                        )
                    )
                    for form in deployment.forms
                ],
            )

        return await self._run(context, deploy, "CREATE")

    def _create(
        self, request: Any, on_completed: Callable[[ProcessInstance], None] | None
    ) -> ProcessInstance:
        _check_tenant(request.tenantId)
        variables = parse_document(request.variables)
        return self._engine.create_instance(
            definition_key=request.processDefinitionKey,
            bpmn_process_id=request.bpmnProcessId,
            version=request.version,
            variables=variables,
            start_element_ids=[instruction.elementId for instruction in request.startInstructions],
            on_completed=on_completed,
        )

    async def CreateProcessInstance(self, request: Any, context: Any) -> Any:  # noqa: N802
        instance = await self._run(context, lambda: self._create(request, None), "CREATE")
        definition = instance.definition
        return pb.CreateProcessInstanceResponse(
            processDefinitionKey=definition.key,
            bpmnProcessId=definition.bpmn_process_id,
            version=definition.version,
            processInstanceKey=instance.key,
            tenantId=definition.tenant_id,
        )

    async def CreateProcessInstanceWithResult(self, request: Any, context: Any) -> Any:  # noqa: N802
        done: asyncio.Future[ProcessInstance] = asyncio.get_running_loop().create_future()

        def completed(instance: ProcessInstance) -> None:
            if not done.done():
                done.set_result(instance)

        instance = await self._run(
            context, lambda: self._create(request.request, completed), "CREATE"
        )
        timeout_ms = (
            request.requestTimeout if request.requestTimeout > 0 else DEFAULT_REQUEST_TIMEOUT_MS
        )
        try:
            await asyncio.wait_for(
                asyncio.shield(done), timeout=min(timeout_ms, MAX_WAIT_MS) / 1000
            )
        except TimeoutError:
            await context.abort(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"Expected to complete process instance '{instance.key}' within {timeout_ms} ms, "
                "but it did not complete in time",
            )
        definition = instance.definition
        variables = self._engine.result_variables(instance, list(request.fetchVariables))
        return pb.CreateProcessInstanceWithResultResponse(
            processDefinitionKey=definition.key,
            bpmnProcessId=definition.bpmn_process_id,
            version=definition.version,
            processInstanceKey=instance.key,
            variables=to_json_text(variables),
            tenantId=definition.tenant_id,
        )

    async def CancelProcessInstance(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._run(
            context, lambda: self._engine.cancel_instance(request.processInstanceKey), "CANCEL"
        )
        return pb.CancelProcessInstanceResponse()

    async def SetVariables(self, request: Any, context: Any) -> Any:  # noqa: N802
        def set_variables() -> int:
            variables = parse_document(request.variables)
            return self._engine.set_variables(
                request.elementInstanceKey, variables, local=request.local
            )

        key = await self._run(context, set_variables, "UPDATE")
        return pb.SetVariablesResponse(key=key)

    async def ResolveIncident(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._run(
            context, lambda: self._engine.resolve_incident(request.incidentKey), "RESOLVE"
        )
        return pb.ResolveIncidentResponse()

    async def PublishMessage(self, request: Any, context: Any) -> Any:  # noqa: N802
        def publish() -> int:
            _check_tenant(request.tenantId)
            variables = parse_document(request.variables)
            return self._engine.publish_message(
                request.name,
                correlation_key=request.correlationKey,
                time_to_live_ms=min(request.timeToLive, MAX_WAIT_MS * 365),
                message_id=request.messageId,
                variables=variables,
            )

        key = await self._run(context, publish, "PUBLISH")
        return pb.PublishMessageResponse(key=key, tenantId=DEFAULT_TENANT)

    # -- jobs -----------------------------------------------------------------------------------

    async def _check_activation(self, context: Any, request: Any, *, streaming: bool) -> None:
        if not request.type.strip():
            await self._invalid(context, "Expected to activate jobs with a non-blank type")
        if not streaming and not request.worker.strip():
            await self._invalid(context, "Expected to activate jobs with a non-blank worker name")
        if request.timeout < 1:
            await self._invalid(
                context,
                "Expected to activate jobs with a timeout of at least 1 ms, "
                f"but got {request.timeout}",
            )
        if not streaming and request.maxJobsToActivate < 1:
            await self._invalid(
                context,
                "Expected to activate at least 1 job (maxJobsToActivate), "
                f"but got {request.maxJobsToActivate}",
            )
        for tenant in request.tenantIds:
            await self._run(context, functools.partial(_check_tenant, tenant))

    async def ActivateJobs(self, request: Any, context: Any) -> AsyncIterator[Any]:  # noqa: N802
        await self._check_activation(context, request, streaming=False)
        if request.requestTimeout == 0:
            request_timeout = DEFAULT_LONG_POLL_MS
        else:
            request_timeout = min(request.requestTimeout, MAX_WAIT_MS)
        jobs = await self._dispatcher.poll(
            request.type,
            worker=request.worker,
            timeout_ms=request.timeout,
            max_jobs=request.maxJobsToActivate,
            fetch=list(request.fetchVariable),
            request_timeout_ms=request_timeout,
        )
        if jobs:
            try:
                yield pb.ActivateJobsResponse(jobs=[_activated(job) for job in jobs])
            except asyncio.CancelledError:
                self._engine.return_jobs(jobs)
                raise

    async def StreamActivatedJobs(self, request: Any, context: Any) -> AsyncIterator[Any]:  # noqa: N802
        await self._check_activation(context, request, streaming=True)
        stream = self._dispatcher.open_stream(
            request.type,
            worker=request.worker,
            timeout_ms=request.timeout,
            fetch=list(request.fetchVariable),
        )
        in_flight: list[JobActivation] = []
        try:
            while True:
                job = await stream.queue.get()
                if job is None:
                    return
                in_flight = [job]
                yield _activated(job)
                in_flight = []
        finally:
            self._dispatcher.close_stream(stream, in_flight)

    async def CompleteJob(self, request: Any, context: Any) -> Any:  # noqa: N802
        def complete() -> None:
            self._engine.complete_job(request.jobKey, parse_document(request.variables))

        await self._run(context, complete, "COMPLETE")
        return pb.CompleteJobResponse()

    async def FailJob(self, request: Any, context: Any) -> Any:  # noqa: N802
        def fail() -> None:
            self._engine.fail_job(
                request.jobKey,
                retries=request.retries,
                error_message=request.errorMessage,
                retry_backoff_ms=min(request.retryBackOff, MAX_WAIT_MS),
                variables=parse_document(request.variables),
            )

        await self._run(context, fail, "FAIL")
        return pb.FailJobResponse()

    async def ThrowError(self, request: Any, context: Any) -> Any:  # noqa: N802
        def throw() -> None:
            self._engine.throw_error(
                request.jobKey,
                error_code=request.errorCode,
                error_message=request.errorMessage,
                variables=parse_document(request.variables),
            )

        await self._run(context, throw, "THROW_ERROR")
        return pb.ThrowErrorResponse()

    async def UpdateJobRetries(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._run(
            context,
            lambda: self._engine.update_job_retries(request.jobKey, request.retries),
            "UPDATE_RETRIES",
        )
        return pb.UpdateJobRetriesResponse()

    async def UpdateJobTimeout(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._run(
            context,
            lambda: self._engine.update_job_timeout(
                request.jobKey, min(request.timeout, MAX_WAIT_MS)
            ),
            "UPDATE_TIMEOUT",
        )
        return pb.UpdateJobTimeoutResponse()

    async def DeleteResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._run(
            context, lambda: self._engine.delete_resource(request.resourceKey), "DELETE"
        )
        return pb.DeleteResourceResponse()

    async def EvaluateDecision(self, request: Any, context: Any) -> Any:  # noqa: N802
        def evaluate() -> Any:
            _check_tenant(request.tenantId)
            return evaluate_decision(self._engine.decisions, request)

        return await self._run(context, evaluate, "EVALUATE")

    # -- outside the subset ---------------------------------------------------------------------

    async def _unsupported(self, context: Any, what: str) -> NoReturn:
        await context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            f"{what} is not supported by the dev engine (a test double); use a Camunda 8 cluster",
        )
        raise AssertionError  # pragma: no cover

    async def DeployProcess(self, _request: Any, context: Any) -> Any:  # noqa: N802
        await self._unsupported(context, "DeployProcess (deprecated; use DeployResource)")

    async def ModifyProcessInstance(self, _request: Any, context: Any) -> Any:  # noqa: N802
        await self._unsupported(context, "ModifyProcessInstance")

    async def MigrateProcessInstance(self, _request: Any, context: Any) -> Any:  # noqa: N802
        await self._unsupported(context, "MigrateProcessInstance")

    async def BroadcastSignal(self, _request: Any, context: Any) -> Any:  # noqa: N802
        await self._unsupported(context, "BroadcastSignal")
