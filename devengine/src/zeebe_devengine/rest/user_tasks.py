"""User tasks (Camunda user tasks, ``zeebe:userTask``): search, get and completion, as
Tasklist uses them.

Completion merges the given variables into the task's element, as Zeebe does, and moves the
token on (``core.usertasks``); a task that is not open any more is a 404 naming it.
"""

from typing import Any

from aiohttp import web

from zeebe_devengine.core.state import UserTask
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import (
    SEARCH_PROPERTIES,
    by_path_key,
    path_key,
    read_body,
    search_page,
)
from zeebe_devengine.rest.filters import FieldSpec, check_fields, field_filter
from zeebe_devengine.rest.query import iso_date

routes = web.RouteTableDef()

USER_TASK_FIELDS: dict[str, FieldSpec] = {
    "userTaskKey": ("key", lambda t: t.key),
    "state": ("string", lambda t: t.state.value),
    "assignee": ("string", lambda t: t.assignee),
    "elementId": ("string", lambda t: t.element.node.id),
    "elementInstanceKey": ("key", lambda t: t.element.key),
    "processInstanceKey": ("key", lambda t: t.element.instance.key),
    "processDefinitionKey": ("key", lambda t: t.element.instance.definition.key),
    "processDefinitionId": ("string", lambda t: t.element.instance.definition.bpmn_process_id),
    "tenantId": ("string", lambda t: t.element.instance.definition.tenant_id),
    "creationDate": ("date", lambda t: t.created_ms),
    "completionDate": ("date", lambda t: t.completed_ms),
}


def user_task_json(task: UserTask) -> dict[str, Any]:
    element = task.element
    instance = element.instance
    definition = instance.definition
    return {
        "userTaskKey": str(task.key),
        "name": element.node.name or element.node.id,
        "state": task.state.value,
        "assignee": task.assignee,
        "elementId": element.node.id,
        "elementInstanceKey": str(element.key),
        "candidateGroups": list(task.candidate_groups),
        "candidateUsers": list(task.candidate_users),
        "processDefinitionId": definition.bpmn_process_id,
        "processDefinitionKey": str(definition.key),
        "processDefinitionVersion": definition.version,
        "processName": definition.name,
        "processInstanceKey": str(instance.key),
        "rootProcessInstanceKey": str(instance.key),
        "creationDate": iso_date(task.created_ms),
        "completionDate": iso_date(task.completed_ms),
        "dueDate": None,
        "followUpDate": None,
        "formKey": None,
        "externalFormReference": None,
        "customHeaders": {},
        "priority": 50,
        "tenantId": definition.tenant_id,
        "tags": [],
    }


@routes.post("/v2/user-tasks/search")
async def search_user_tasks(request: web.Request) -> web.Response:
    body = await read_body(request, SEARCH_PROPERTIES)
    spec = check_fields(body.get("filter"), set(USER_TASK_FIELDS))
    tasks = engine(request).user_tasks.tasks.values()
    items = [task for task in tasks if field_filter(task, spec, USER_TASK_FIELDS)]
    return search_page(body, items, USER_TASK_FIELDS, user_task_json)


@routes.get("/v2/user-tasks/{key}")
async def get_user_task(request: web.Request) -> web.Response:
    tasks = engine(request).user_tasks.tasks
    return web.json_response(user_task_json(by_path_key(request, tasks, "User task")))


@routes.post("/v2/user-tasks/{key}/completion")
async def complete_user_task(request: web.Request) -> web.Response:
    key = path_key(request)
    body = await read_body(request, {"variables", "action"})
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        msg = "The property 'variables' must be a JSON object"
        raise InvalidArgumentError(msg)
    engine(request).complete_user_task(key, variables)
    return web.Response(status=204)
