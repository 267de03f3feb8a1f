"""Jobs: activation (long polling, the same job pool as gRPC's ActivateJobs), completion,
failure, error, update and search.

Activation waits up to ``requestTimeout`` for a first job (0: Zeebe's 10 s default; negative:
no waiting) and is woken the moment a job of its type exists, by the dispatcher that also
serves gRPC. Jobs activated for a client that left before the answer was written are made
activatable again at once. Search shows live jobs (a completed job is gone, as in the engine).
"""

import json
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from zeebe_devengine.core.state import Job, JobActivation, JobState
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest import body as prop
from zeebe_devengine.rest.context import context, engine
from zeebe_devengine.rest.exchange import SEARCH_PROPERTIES, field_search, path_key, read_body
from zeebe_devengine.rest.filters import FieldSpec
from zeebe_devengine.rest.process_instances import MAX_WAIT_MS, root_instance
from zeebe_devengine.rest.query import iso_date

routes = web.RouteTableDef()

#: Long-poll time when a request says 0 or nothing, as Zeebe's gateway default.
DEFAULT_LONG_POLL_MS = 10_000
_ACTIVATION_PROPERTIES = frozenset(
    {
        "type",
        "worker",
        "timeout",
        "maxJobsToActivate",
        "fetchVariable",
        "requestTimeout",
        "tenantIds",
        "tenantFilter",
    }
)
#: The job states the search shows (Camunda's names; a job waiting for a worker is CREATED).
_SEARCH_STATE = {
    JobState.ACTIVATABLE: "CREATED",
    JobState.ACTIVATED: "CREATED",
    JobState.FAILED: "FAILED",
    JobState.ERROR_THROWN: "ERROR_THROWN",
}


def search_state(job: Job) -> str:
    return _SEARCH_STATE[job.state]


JOB_FIELDS: dict[str, FieldSpec] = {
    "jobKey": ("key", lambda j: j.key),
    "type": ("string", lambda j: j.type),
    "worker": ("string", lambda j: j.worker or None),
    "state": ("string", search_state),
    "kind": ("string", lambda _: "BPMN_ELEMENT"),
    "listenerEventType": ("string", lambda _: "UNSPECIFIED"),
    "retries": ("int", lambda j: j.retries),
    "deadline": ("date", lambda j: j.deadline_ms if j.deadline_ms >= 0 else None),
    "errorCode": ("string", lambda j: j.error_code or None),
    "errorMessage": ("string", lambda j: j.error_message or None),
    "hasFailedWithRetriesLeft": (
        "bool",
        lambda j: j.state is JobState.FAILED and j.retries > 0,
    ),
    "elementId": ("string", lambda j: j.element.node.id),
    "elementInstanceKey": ("key", lambda j: j.element.key),
    "processDefinitionId": ("string", lambda j: j.element.instance.definition.bpmn_process_id),
    "processDefinitionKey": ("key", lambda j: j.element.instance.definition.key),
    "processInstanceKey": ("key", lambda j: j.element.instance.key),
    "tenantId": ("string", lambda j: j.element.instance.definition.tenant_id),
    "creationTime": ("date", lambda j: j.element.start_ms),
}


def _activated_json(request: web.Request, job: JobActivation) -> dict[str, Any]:
    instance = engine(request).instances.get(job.process_instance_key)
    root = root_instance(instance).key if instance is not None else job.process_instance_key
    return {
        "type": job.type,
        "processDefinitionId": job.bpmn_process_id,
        "processDefinitionVersion": job.process_definition_version,
        "elementId": job.element_id,
        "customHeaders": json.loads(job.custom_headers),
        "worker": job.worker,
        "retries": job.retries,
        "deadline": job.deadline,
        "variables": json.loads(job.variables),
        "tenantId": job.tenant_id,
        "jobKey": str(job.key),
        "processInstanceKey": str(job.process_instance_key),
        "processDefinitionKey": str(job.process_definition_key),
        "elementInstanceKey": str(job.element_instance_key),
        "kind": "BPMN_ELEMENT",
        "listenerEventType": "UNSPECIFIED",
        "userTask": None,
        "tags": [],
        "rootProcessInstanceKey": str(root),
    }


def _tenants(body: dict[str, Any]) -> None:
    for tenant_id in prop.strings(body, "tenantIds"):
        prop.tenant({"tenantId": tenant_id})
    tenant_filter = body.get("tenantFilter")
    if tenant_filter not in {None, "PROVIDED", "ASSIGNED"}:
        msg = f"The property 'tenantFilter' expects PROVIDED or ASSIGNED, but got {tenant_filter!r}"
        raise InvalidArgumentError(msg)


@routes.post("/v2/jobs/activation")
async def activate_jobs(request: web.Request) -> web.StreamResponse:
    body = await read_body(request, _ACTIVATION_PROPERTIES)
    job_type = prop.text(body, "type", required=True)
    worker = prop.text(body, "worker", default="")
    if "timeout" not in body or "maxJobsToActivate" not in body:
        msg = "The properties 'timeout' and 'maxJobsToActivate' are required"
        raise InvalidArgumentError(msg)
    timeout_ms = min(prop.integer(body, "timeout", default=0, minimum=1), MAX_WAIT_MS)
    max_jobs = prop.integer(body, "maxJobsToActivate", default=0, minimum=1)
    fetch = prop.strings(body, "fetchVariable")
    request_timeout = prop.integer(body, "requestTimeout", default=0)
    _tenants(body)
    wait_ms = DEFAULT_LONG_POLL_MS if request_timeout == 0 else min(request_timeout, MAX_WAIT_MS)
    served = context(request)
    jobs = await served.dispatcher.poll(
        job_type,
        worker=worker,
        timeout_ms=timeout_ms,
        max_jobs=max_jobs,
        fetch=fetch,
        request_timeout_ms=wait_ms,
    )
    return await _answer(request, jobs)


async def _answer(request: web.Request, jobs: Sequence[JobActivation]) -> web.StreamResponse:
    """Write the activated jobs; if the client is gone, they go back to the pool at once."""
    payload = json.dumps({"jobs": [_activated_json(request, job) for job in jobs]}).encode()
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = len(payload)
    try:
        if request.transport is None or request.transport.is_closing():
            raise ConnectionResetError
        await response.prepare(request)
        await response.write(payload)
        await response.write_eof()
    except (ConnectionError, RuntimeError):
        if jobs:
            engine(request).return_jobs(jobs)
        raise
    return response


@routes.post("/v2/jobs/{key}/completion")
async def complete_job(request: web.Request) -> web.Response:
    key = path_key(request)
    body = await read_body(request, {"variables", "result"})
    if body.get("result") is not None:
        msg = "The property 'result' (user task and ad-hoc corrections) is not supported"
        raise InvalidArgumentError(msg)
    engine(request).complete_job(key, prop.document(body))
    return web.Response(status=204)


@routes.post("/v2/jobs/{key}/failure")
async def fail_job(request: web.Request) -> web.Response:
    key = path_key(request)
    body = await read_body(request, {"retries", "errorMessage", "retryBackOff", "variables"})
    engine(request).fail_job(
        key,
        retries=prop.integer(body, "retries", default=0),
        error_message=prop.text(body, "errorMessage"),
        retry_backoff_ms=min(prop.integer(body, "retryBackOff", default=0), MAX_WAIT_MS),
        variables=prop.document(body),
    )
    return web.Response(status=204)


@routes.post("/v2/jobs/{key}/error")
async def throw_job_error(request: web.Request) -> web.Response:
    key = path_key(request)
    body = await read_body(request, {"errorCode", "errorMessage", "variables"})
    engine(request).throw_error(
        key,
        error_code=prop.text(body, "errorCode", required=True),
        error_message=prop.text(body, "errorMessage"),
        variables=prop.document(body),
    )
    return web.Response(status=204)


@routes.patch("/v2/jobs/{key}")
async def update_job(request: web.Request) -> web.Response:
    key = path_key(request)
    body = await read_body(request, {"changeset", "operationReference"})
    prop.integer(body, "operationReference", default=0, minimum=1)
    if body.get("changeset") is None:
        msg = "The property 'changeset' is required"
        raise InvalidArgumentError(msg)
    changeset = prop.obj(body, "changeset", {"retries", "timeout"})
    the_engine = engine(request)
    # Everything is checked before anything changes: a refused update changes nothing.
    retries = changeset.get("retries")
    if retries is not None and prop.integer(changeset, "retries", default=0) < 1:
        the_engine.update_job_retries(key, retries)  # refuses, in Zeebe's words
    timeout = changeset.get("timeout")
    if timeout is not None:
        prop.integer(changeset, "timeout", default=0, minimum=0)
    job = the_engine.jobs.get(key, "update")
    if timeout is not None and job.state is not JobState.ACTIVATED:
        the_engine.update_job_timeout(key, 0)  # refuses: only an activated job has a deadline
    if timeout is not None:
        the_engine.update_job_timeout(key, min(timeout, MAX_WAIT_MS))
    if retries is not None:
        the_engine.update_job_retries(key, retries)
    return web.Response(status=204)


def job_json(job: Job) -> dict[str, Any]:
    element = job.element
    instance = element.instance
    definition = instance.definition
    return {
        "customHeaders": json.loads(getattr(element.node, "headers_json", "{}")),
        "deadline": iso_date(job.deadline_ms) if job.deadline_ms >= 0 else None,
        "deniedReason": None,
        "elementId": element.node.id,
        "elementInstanceKey": str(element.key),
        "endTime": None,
        "errorCode": job.error_code or None,
        "errorMessage": job.error_message or None,
        "hasFailedWithRetriesLeft": job.state is JobState.FAILED and job.retries > 0,
        "isDenied": None,
        "jobKey": str(job.key),
        "kind": "BPMN_ELEMENT",
        "listenerEventType": "UNSPECIFIED",
        "processDefinitionId": definition.bpmn_process_id,
        "processDefinitionKey": str(definition.key),
        "processInstanceKey": str(instance.key),
        "rootProcessInstanceKey": str(root_instance(instance).key),
        "retries": job.retries,
        "state": search_state(job),
        "tenantId": definition.tenant_id,
        "type": job.type,
        "worker": job.worker,
        "creationTime": iso_date(element.start_ms),
        "lastUpdateTime": None,
    }


@routes.post("/v2/jobs/search")
async def search_jobs(request: web.Request) -> web.Response:
    body = await read_body(request, SEARCH_PROPERTIES)
    return field_search(body, engine(request).jobs.jobs.values(), JOB_FIELDS, job_json)
