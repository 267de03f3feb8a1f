"""RFC 9457 problem details for every refusal; an unserved spec path says it is unserved.

Errors are ``application/problem+json`` (``type``, ``title``, ``status``, ``detail``,
``instance``). Engine errors map to their status; anything else is logged and answered as a
problem detail without the stack trace.
"""

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web

from zeebe_devengine.errors import (
    AlreadyExistsError,
    DevEngineError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The first path segment of every resource in Camunda 8.9's Orchestration Cluster API, so a
# request for one the dev engine lacks is told so rather than answered "no such path".
SPEC_RESOURCES = frozenset(
    {
        "audit-logs",
        "authentication",
        "authorizations",
        "batch-operation-items",
        "batch-operations",
        "clock",
        "cluster-variables",
        "conditionals",
        "correlated-message-subscriptions",
        "decision-definitions",
        "decision-instances",
        "decision-requirements",
        "deployments",
        "documents",
        "element-instances",
        "expression",
        "groups",
        "incidents",
        "jobs",
        "license",
        "mapping-rules",
        "message-subscriptions",
        "messages",
        "process-definitions",
        "process-instances",
        "resources",
        "roles",
        "setup",
        "signals",
        "status",
        "system",
        "tenants",
        "topology",
        "user-tasks",
        "users",
        "variables",
    }
)
_STATUS: dict[type[DevEngineError], int] = {
    InvalidArgumentError: 400,
    NotFoundError: 404,
    FailedPreconditionError: 409,
    AlreadyExistsError: 409,
}
_log = logging.getLogger(__name__)


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DevEngineError as exc:
        return problem(request, _status(exc), str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:  # pragma: no cover - the API answers no redirects
            raise
        return problem(request, exc.status, _unserved(request, exc))
    except Exception:  # noqa: BLE001 - the last guard: a problem detail, never a trace
        # A bug, not bad input: logged here, answered without the stack trace.
        _log.exception("REST %s %s failed", request.method, request.path)
        return problem(request, 500, "The dev engine failed on this request")


def _status(exc: DevEngineError) -> int:
    for kind, status in _STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400  # pragma: no cover - every engine error the API raises is listed


def _unserved(request: web.Request, exc: web.HTTPException) -> str:
    """The detail of aiohttp's own refusals (no such route, wrong method, body too large)."""
    if exc.status not in {404, 405}:
        return exc.reason
    parts = request.path.split("/")
    spec_resource = len(parts) > 2 and parts[1] == "v2" and parts[2] in SPEC_RESOURCES
    if spec_resource:
        return f"{request.method} {request.path} is not supported by the dev engine"
    return f"The dev engine does not serve {request.method} {request.path}"


def problem(request: web.Request, status: int, detail: str) -> web.Response:
    return web.json_response(
        {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "instance": request.path,
        },
        status=status,
        content_type="application/problem+json",
    )
