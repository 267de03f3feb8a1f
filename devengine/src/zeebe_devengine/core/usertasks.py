"""Camunda user tasks (``zeebe:userTask``): created when the element is entered, then
completed or assigned through the engine (the REST API's ``/v2/user-tasks/{key}/completion``
and ``/assignment`` call the same methods).

Completing merges the given variables into the task's element as a job completion does (they
propagate unless output mappings say otherwise) and moves the token on. A task whose element
is left otherwise (an interrupting event, cancellation) becomes CANCELED.
"""

from typing import Any, Protocol

from zeebe_devengine.core.state import ElementInstance, UserTask, UserTaskState
from zeebe_devengine.errors import InvalidArgumentError, NotFoundError


class UserTaskHost(Protocol):
    def now_ms(self) -> int: ...

    def next_key(self) -> int: ...

    def complete_element(self, element: ElementInstance, variables: dict[str, Any]) -> None: ...


class UserTaskBook:
    def __init__(self, host: UserTaskHost) -> None:
        self._host = host
        #: Every user task of retained instances, by key (open and ended).
        self.tasks: dict[int, UserTask] = {}
        self._by_instance: dict[int, list[int]] = {}

    def create(
        self,
        element: ElementInstance,
        *,
        assignee: str | None,
        candidate_groups: list[str],
        candidate_users: list[str],
    ) -> UserTask:
        task = UserTask(
            key=self._host.next_key(),
            element=element,
            created_ms=self._host.now_ms(),
            assignee=assignee or None,
            candidate_groups=candidate_groups,
            candidate_users=candidate_users,
        )
        element.user_task = task
        self.tasks[task.key] = task
        self._by_instance.setdefault(element.instance.key, []).append(task.key)
        return task

    def open_task(self, key: int, verb: str) -> UserTask:
        task = self.tasks.get(key)
        if task is None or task.state is not UserTaskState.CREATED:
            msg = f"Expected to {verb} user task with key '{key}', but no such user task was found"
            raise NotFoundError(msg)
        return task

    def complete(self, key: int, variables: dict[str, Any]) -> None:
        task = self.open_task(key, "complete")
        task.state = UserTaskState.COMPLETED
        task.completed_ms = self._host.now_ms()
        element = task.element
        element.user_task = None
        self._host.complete_element(element, variables)

    def assign(self, key: int, assignee: str) -> None:
        if not assignee.strip():
            msg = "Expected to assign a user task to a non-empty assignee"
            raise InvalidArgumentError(msg)
        self.open_task(key, "assign").assignee = assignee

    def unassign(self, key: int) -> None:
        self.open_task(key, "unassign").assignee = None

    def ended(self, task: UserTask) -> None:
        """Its element was left: forget nothing (search shows it), the state says it ended."""
        if task.state is UserTaskState.CREATED:
            task.state = UserTaskState.CANCELED

    def forget_instance(self, instance_key: int) -> None:
        """The instance was pruned from memory: its tasks go with it."""
        for key in self._by_instance.pop(instance_key, []):
            self.tasks.pop(key, None)
