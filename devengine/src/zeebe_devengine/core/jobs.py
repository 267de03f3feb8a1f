"""Jobs: creation, activation, deadlines, completion, failure with retries and backoff.

A job is ACTIVATABLE (queued per type, oldest first), ACTIVATED (a worker holds it until its
deadline), FAILED (waiting for its retry backoff, or out of retries with an incident) or
ERROR_THROWN (an uncaught BPMN error with an incident). Completing, failing or throwing is
accepted while the job is ACTIVATABLE or ACTIVATED, as in Zeebe; a completed job is gone, so
a second completion gets NOT_FOUND.

When an activated job's deadline passes it becomes activatable again with its retries
unchanged and keeps its key; whichever worker completes it first wins.
"""

import functools
from collections.abc import Sequence
from typing import Any

from zeebe_devengine.core.hosts import JobHost
from zeebe_devengine.core.state import ElementInstance, ErrorType, Job, JobActivation, JobState
from zeebe_devengine.core.variables import set_local, to_json_text, visible
from zeebe_devengine.errors import FailedPreconditionError, NotFoundError

NO_RETRIES_LEFT = "No more retries left."
#: Deadlines beyond this are clamped (a client may send an absurd timeout).
_MAX_DEADLINE_MS = 2**62


class JobBook:
    def __init__(self, host: JobHost) -> None:
        self._host = host
        #: Live jobs by key (completed and cancelled jobs are removed).
        self.jobs: dict[int, Job] = {}
        #: Activatable jobs per type, in the order they became activatable.
        self._queues: dict[str, dict[int, Job]] = {}

    def activatable_count(self, job_type: str) -> int:
        return len(self._queues.get(job_type, ()))

    # -- lookups for commands -------------------------------------------------------------------

    def get(self, key: int, verb: str) -> Job:
        job = self.jobs.get(key)
        if job is None:
            msg = f"Expected to {verb} job with key '{key}', but no such job was found"
            raise NotFoundError(msg)
        return job

    def for_command(self, key: int, verb: str) -> Job:
        """A job that may be completed, failed or have an error thrown (else the Zeebe error)."""
        job = self.get(key, verb)
        if job.state not in {JobState.ACTIVATABLE, JobState.ACTIVATED}:
            msg = f"Expected to {verb} job with key '{key}', but it is in state '{job.state.value}'"
            raise FailedPreconditionError(msg)
        return job

    # -- lifecycle ------------------------------------------------------------------------------

    def create(self, element: ElementInstance, job_type: str, retries: int) -> Job:
        job = Job(key=self._host.keys.next(), type=job_type, element=element, retries=retries)
        element.job = job
        self.jobs[job.key] = job
        if retries <= 0:
            # A model with retries 0 fails at once, as Zeebe does.
            job.state = JobState.FAILED
            self._host.flow.raise_incident(
                element, ErrorType.JOB_NO_RETRIES, NO_RETRIES_LEFT, job=job
            )
        else:
            self._make_activatable(job)
        return job

    def _make_activatable(self, job: Job) -> None:
        self._cancel_timer(job)
        job.state = JobState.ACTIVATABLE
        job.worker = ""
        job.deadline_ms = -1
        self._queues.setdefault(job.type, {})[job.key] = job
        self._host.job_available(job.type)

    def _dequeue(self, job: Job) -> None:
        queue = self._queues.get(job.type)
        if queue is not None:
            queue.pop(job.key, None)
            if not queue:
                del self._queues[job.type]

    def _cancel_timer(self, job: Job) -> None:
        if job.timer is not None:
            job.timer.cancel()
            job.timer = None

    def discard(self, job: Job) -> None:
        """The job's element was left (completed, terminated): the job no longer exists."""
        self._cancel_timer(job)
        self._dequeue(job)
        self.jobs.pop(job.key, None)

    def activate(
        self, job_type: str, *, worker: str, timeout_ms: int, max_jobs: int, fetch: Sequence[str]
    ) -> list[JobActivation]:
        queue = self._queues.get(job_type)
        if not queue:
            return []
        now = self._host.scheduler.now_ms()
        deadline = min(now + max(timeout_ms, 0), _MAX_DEADLINE_MS)
        activated: list[JobActivation] = []
        while queue and len(activated) < max_jobs:
            job = queue.pop(next(iter(queue)))
            job.state = JobState.ACTIVATED
            job.worker = worker
            job.deadline_ms = deadline
            job.activation += 1
            activation = job.activation
            job.timer = self._host.call_later(
                deadline - now,
                functools.partial(self._deadline_passed, job, activation),
            )
            activated.append(self._view(job, fetch))
        if not queue:
            self._queues.pop(job_type, None)
        return activated

    def _view(self, job: Job, fetch: Sequence[str]) -> JobActivation:
        element = job.element
        instance = element.instance
        definition = instance.definition
        node = element.node
        headers = getattr(node, "headers_json", "{}")
        return JobActivation(
            key=job.key,
            type=job.type,
            process_instance_key=instance.key,
            bpmn_process_id=definition.bpmn_process_id,
            process_definition_version=definition.version,
            process_definition_key=definition.key,
            element_id=node.id,
            element_instance_key=element.key,
            custom_headers=headers,
            worker=job.worker,
            retries=job.retries,
            deadline=job.deadline_ms,
            variables=to_json_text(visible(element.variable_scope, fetch)),
            tenant_id=definition.tenant_id,
        )

    def _deadline_passed(self, job: Job, activation: int) -> None:
        if (
            job.state is JobState.ACTIVATED
            and job.activation == activation
            and job.key in self.jobs
        ):
            job.timer = None
            self._make_activatable(job)

    def return_undelivered(self, activations: Sequence[JobActivation]) -> None:
        for activation in activations:
            job = self.jobs.get(activation.key)
            if (
                job is not None
                and job.state is JobState.ACTIVATED
                and job.worker == activation.worker
            ):
                self._make_activatable(job)

    def update_timeout(self, job: Job, timeout_ms: int) -> None:
        if job.state is not JobState.ACTIVATED:
            msg = (
                f"Expected to update the timeout of job with key '{job.key}', but it is not active"
            )
            raise FailedPreconditionError(msg)
        self._cancel_timer(job)
        now = self._host.scheduler.now_ms()
        job.deadline_ms = min(now + max(timeout_ms, 0), _MAX_DEADLINE_MS)
        job.activation += 1
        activation = job.activation
        job.timer = self._host.call_later(
            job.deadline_ms - now, functools.partial(self._deadline_passed, job, activation)
        )

    # -- worker outcomes --------------------------------------------------------------------------

    def complete(self, job: Job, variables: dict[str, Any]) -> None:
        element = job.element
        self.discard(job)
        element.job = None
        self._host.flow.complete(element, variables)

    def fail(
        self,
        job: Job,
        *,
        retries: int,
        error_message: str,
        retry_backoff_ms: int,
        variables: dict[str, Any],
    ) -> None:
        self._cancel_timer(job)
        self._dequeue(job)
        job.retries = retries
        job.error_message = error_message
        job.worker = ""
        job.deadline_ms = -1
        if variables:
            set_local(self._host.flow.local_scope(job.element), variables)
        if retries <= 0:
            job.state = JobState.FAILED
            self._host.flow.raise_incident(
                job.element, ErrorType.JOB_NO_RETRIES, error_message or NO_RETRIES_LEFT, job=job
            )
        elif retry_backoff_ms > 0:
            job.state = JobState.FAILED
            job.timer = self._host.call_later(retry_backoff_ms, lambda: self._backoff_over(job))
        else:
            self._make_activatable(job)

    def _backoff_over(self, job: Job) -> None:
        if job.state is JobState.FAILED and job.key in self.jobs and job.element.incident is None:
            job.timer = None
            self._make_activatable(job)

    def throw_error(
        self, job: Job, *, error_code: str, error_message: str, variables: dict[str, Any]
    ) -> None:
        self._cancel_timer(job)
        self._dequeue(job)
        self._host.flow.throw_error(job.element, error_code, error_message, variables, job=job)

    def incident_resolved(self, job: Job) -> None:
        """Resolving a job's incident makes it activatable again, if it has retries left."""
        if job.key in self.jobs and job.retries > 0:
            self._make_activatable(job)
