"""User tasks (``zeebe:userTask``): search, get, assignment, unassignment and completion."""

from typing import Any

from aiohttp import web

from zeebe_devengine.core.state import UserTask
from zeebe_devengine.errors import FailedPreconditionError
from zeebe_devengine.rest import body as prop
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import (
    SEARCH_PROPERTIES,
    by_path_key,
    field_search,
    path_key,
    read_body,
)
from zeebe_devengine.rest.filters import FieldSpec
from zeebe_devengine.rest.process_instances import root_instance
from zeebe_devengine.rest.query import iso_date

routes = web.RouteTableDef()

#: Camunda's priority of a task whose model sets none.
DEFAULT_PRIORITY = 50

USER_TASK_FIELDS: dict[str, FieldSpec] = {
    "userTaskKey": ("key", lambda t: t.key),
    "state": ("string", lambda t: t.state.value),
    "assignee": ("string", lambda t: t.assignee),
    "elementId": ("string", lambda t: t.element.node.id),
    "name": ("string", lambda t: t.element.node.name),
    "priority": ("int", lambda _: DEFAULT_PRIORITY),
    "tenantId": ("string", lambda t: t.element.instance.definition.tenant_id),
    "processDefinitionId": ("string", lambda t: t.element.instance.definition.bpmn_process_id),
    "processDefinitionKey": ("key", lambda t: t.element.instance.definition.key),
    "processInstanceKey": ("key", lambda t: t.element.instance.key),
    "elementInstanceKey": ("key", lambda t: t.element.key),
    "creationDate": ("date", lambda t: t.created_ms),
    "completionDate": ("date", lambda t: t.completed_ms),
}


def user_task_json(task: UserTask) -> dict[str, Any]:
    element = task.element
    instance = element.instance
    definition = instance.definition
    return {
        "name": element.node.name,
        "state": task.state.value,
        "assignee": task.assignee,
        "elementId": element.node.id,
        "candidateGroups": list(task.candidate_groups),
        "candidateUsers": list(task.candidate_users),
        "processDefinitionId": definition.bpmn_process_id,
        "creationDate": iso_date(task.created_ms),
        "completionDate": iso_date(task.completed_ms),
        "followUpDate": None,
        "dueDate": None,
        "tenantId": definition.tenant_id,
        "externalFormReference": None,
        "processDefinitionVersion": definition.version,
        "customHeaders": {},
        "priority": DEFAULT_PRIORITY,
        "userTaskKey": str(task.key),
        "elementInstanceKey": str(element.key),
        "processName": definition.name,
        "processDefinitionKey": str(definition.key),
        "processInstanceKey": str(instance.key),
        "rootProcessInstanceKey": str(root_instance(instance).key),
        "formKey": None,
        "tags": [],
    }


@routes.post("/v2/user-tasks/search")
async def search_user_tasks(request: web.Request) -> web.Response:
    body = await read_body(request, SEARCH_PROPERTIES)
    tasks = engine(request).user_tasks.tasks.values()
    return field_search(body, tasks, USER_TASK_FIELDS, user_task_json)


@routes.get("/v2/user-tasks/{key}")
async def get_user_task(request: web.Request) -> web.Response:
    tasks = engine(request).user_tasks.tasks
    return web.json_response(user_task_json(by_path_key(request, tasks, "User task")))


@routes.post("/v2/user-tasks/{key}/assignment")
async def assign_user_task(request: web.Request) -> web.Response:
    key = path_key(request)
    body = await read_body(request, {"assignee", "allowOverride", "action"})
    assignee = prop.text(body, "assignee", required=True)
    allow_override = prop.boolean(body, "allowOverride", default=True)
    prop.text(body, "action")
    the_engine = engine(request)
    task = the_engine.user_tasks.open_task(key, "assign")
    if not allow_override and task.assignee not in {None, assignee}:
        msg = (
            f"Expected to assign user task with key '{key}' to '{assignee}', but it is "
            "assigned to someone else and allowOverride is false"
        )
        raise FailedPreconditionError(msg)
    the_engine.assign_user_task(key, assignee)
    return web.Response(status=204)


@routes.delete("/v2/user-tasks/{key}/assignee")
async def unassign_user_task(request: web.Request) -> web.Response:
    engine(request).assign_user_task(path_key(request), None)
    return web.Response(status=204)


@routes.post("/v2/user-tasks/{key}/completion")
async def complete_user_task(request: web.Request) -> web.Response:
    key = path_key(request)
    body = await read_body(request, {"variables", "action"})
    prop.text(body, "action")
    engine(request).complete_user_task(key, prop.document(body))
    return web.Response(status=204)
