"""The engine's commands on running work: jobs, messages, user tasks and the clock.

A mixin of `engine.Engine`, which owns the books these commands act on; each command checks
its input first (raising a DevEngineError, nothing changed), then runs as one engine step.
"""

import contextlib
from collections.abc import Sequence
from typing import Any

from zeebe_devengine.core.flow import Flow
from zeebe_devengine.core.jobs import JobBook
from zeebe_devengine.core.keys import KeyGenerator
from zeebe_devengine.core.messages import MessageBook
from zeebe_devengine.core.scheduler import Scheduler
from zeebe_devengine.core.state import ElementInstance, JobActivation
from zeebe_devengine.core.usertasks import UserTaskBook
from zeebe_devengine.errors import InvalidArgumentError


class RuntimeCommands:
    scheduler: Scheduler
    keys: KeyGenerator
    jobs: JobBook
    flow: Flow
    messages: MessageBook
    user_tasks: UserTaskBook

    def step(self) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # pragma: no cover - the engine implements it

    # -- jobs (delegated; listed here so the gateway has one object to talk to) ---------------

    def activate_jobs(
        self, job_type: str, *, worker: str, timeout_ms: int, max_jobs: int, fetch: Sequence[str]
    ) -> list[JobActivation]:
        return self.jobs.activate(
            job_type, worker=worker, timeout_ms=timeout_ms, max_jobs=max_jobs, fetch=fetch
        )

    def return_jobs(self, activations: Sequence[JobActivation]) -> None:
        """Jobs handed to a worker that never received them: activatable again at once."""
        with self.step():
            self.jobs.return_undelivered(activations)

    def complete_job(self, key: int, variables: dict[str, Any]) -> None:
        job = self.jobs.for_command(key, "complete")
        with self.step():
            self.jobs.complete(job, variables)

    def fail_job(
        self,
        key: int,
        *,
        retries: int,
        error_message: str,
        retry_backoff_ms: int,
        variables: dict[str, Any],
    ) -> None:
        job = self.jobs.for_command(key, "fail")
        with self.step():
            self.jobs.fail(
                job,
                retries=retries,
                error_message=error_message,
                retry_backoff_ms=retry_backoff_ms,
                variables=variables,
            )

    def throw_error(
        self, key: int, *, error_code: str, error_message: str, variables: dict[str, Any]
    ) -> None:
        job = self.jobs.for_command(key, "throw an error for")
        with self.step():
            self.jobs.throw_error(
                job, error_code=error_code, error_message=error_message, variables=variables
            )

    def update_job_retries(self, key: int, retries: int) -> None:
        if retries < 1:
            msg = (
                f"Expected to update retries for job with key '{key}' with a positive amount of "
                f"retries, but the amount given was '{retries}'"
            )
            raise InvalidArgumentError(msg)
        job = self.jobs.get(key, "update retries of")
        job.retries = retries

    def update_job_timeout(self, key: int, timeout_ms: int) -> None:
        job = self.jobs.get(key, "update the timeout of")
        with self.step():
            self.jobs.update_timeout(job, timeout_ms)

    # -- messages -------------------------------------------------------------------------------

    def publish_message(
        self,
        name: str,
        *,
        correlation_key: str,
        time_to_live_ms: int,
        message_id: str,
        variables: dict[str, Any],
    ) -> int:
        with self.step():
            return self.messages.publish(
                name,
                correlation_key=correlation_key,
                time_to_live_ms=time_to_live_ms,
                message_id=message_id,
                variables=variables,
            )

    def correlate_message(
        self, name: str, *, correlation_key: str, variables: dict[str, Any]
    ) -> tuple[int, int]:
        """Correlate a message now (message key, first process instance key) or NotFound."""
        with self.step():
            return self.messages.correlate(
                name, correlation_key=correlation_key, variables=variables
            )

    # -- user tasks -----------------------------------------------------------------------------

    def complete_user_task(self, key: int, variables: dict[str, Any] | None = None) -> None:
        """Complete a Camunda user task (REST ``POST /v2/user-tasks/{key}/completion``)."""
        self.user_tasks.open_task(key, "complete")
        with self.step():
            self.user_tasks.complete(key, variables or {})

    def assign_user_task(self, key: int, assignee: str | None) -> None:
        """Assign (or with None unassign) a user task (``/v2/user-tasks/{key}/assignment``)."""
        if assignee is None:
            self.user_tasks.unassign(key)
        else:
            self.user_tasks.assign(key, assignee)

    def complete_element(self, element: ElementInstance, variables: dict[str, Any]) -> None:
        self.flow.complete(element, variables)

    def now_ms(self) -> int:
        return self.scheduler.now_ms()

    def next_key(self) -> int:
        return self.keys.next()

    # -- the clock --------------------------------------------------------------------------------

    def clock_ms(self) -> int:
        """The engine clock, in epoch milliseconds."""
        return self.scheduler.now_ms()

    def pin_clock(self, epoch_ms: int) -> None:
        """Stop the clock at `epoch_ms` (``PUT /v2/clock``); what is due by then fires."""
        if epoch_ms < 0:
            msg = (
                f"Expected the clock to be pinned to a non-negative epoch time, but got {epoch_ms}"
            )
            raise InvalidArgumentError(msg)
        self.scheduler.pin(epoch_ms)

    def advance_clock(self, ms: int) -> int:
        """Pin the clock `ms` later than now; returns the new time."""
        if ms < 0:
            msg = f"Expected to advance the clock by a non-negative duration, but got {ms} ms"
            raise InvalidArgumentError(msg)
        target = self.scheduler.now_ms() + ms
        self.scheduler.pin(target)
        return target

    def reset_clock(self) -> None:
        """Let the clock follow system time again (``POST /v2/clock/reset``)."""
        self.scheduler.reset()
