"""A small client of the Camunda 8 REST API (v2): what `canary status` and `canary rollout` need.

The same calls Operate's diagram counts come from: process-definition search, element-instance
statistics per definition, incident search; for guarded rollouts also process-instance and
variable search, and Tasklist's user-task search and completion. Works against a real cluster
(no auth, basic auth or OAuth client credentials) and the dev engine, which serves the same
endpoints.

httpx errors never leave this module: they become one of ours, with one readable line.

    CamundaApiError                 (a CanaryError)
     ├── CamundaUnavailableError    cannot connect, timed out, or the server failed (5xx)
     ├── CamundaAuthError           credentials refused (401/403) or no token could be had
     └── CamundaResponseError       the request was refused (4xx) or the answer made no sense
"""

import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self

import httpx

from workers.camunda_auth import CredentialsError, OAuthTokens, tls_context
from workers.errors import CanaryError
from workers.settings import CamundaRestSettings

#: Items asked for per search page, and the most pages followed (a safety net).
PAGE_LIMIT: Final = 100
MAX_PAGES: Final = 100


class CamundaApiError(CanaryError):
    """The Camunda REST API could not answer what we asked."""


class CamundaUnavailableError(CamundaApiError):
    """The API cannot be reached, timed out, or failed on its side (5xx)."""


class CamundaAuthError(CamundaApiError):
    """The API refused our credentials, or the token endpoint gave no token."""


class CamundaResponseError(CamundaApiError):
    """The API refused the request (4xx), or its answer is not the shape we know."""


@dataclass(frozen=True, slots=True)
class ProcessDefinition:
    key: str
    process_definition_id: str
    version: int


@dataclass(frozen=True, slots=True)
class ElementStatistics:
    element_id: str
    active: int
    canceled: int
    incidents: int
    completed: int


@dataclass(frozen=True, slots=True)
class Incident:
    key: str
    error_type: str
    error_message: str
    element_id: str
    process_instance_key: str
    job_key: str | None
    creation_time: str | None


@dataclass(frozen=True, slots=True)
class ProcessInstance:
    key: str
    process_definition_key: str
    #: ACTIVE, COMPLETED or TERMINATED.
    state: str
    start_date: str | None
    end_date: str | None
    has_incident: bool


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    #: The JSON value, parsed.
    value: Any
    scope_key: str
    process_instance_key: str


@dataclass(frozen=True, slots=True)
class UserTask:
    key: str
    element_id: str
    process_instance_key: str
    creation_date: str | None


class CamundaRestClient:
    """Use as ``async with CamundaRestClient(settings) as client:``.

    `transport` replaces the network (tests pass an `httpx.MockTransport`).
    """

    def __init__(
        self,
        settings: CamundaRestSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        auth = settings.auth
        basic = None
        if auth.strategy == "basic" and auth.username and auth.password:
            basic = httpx.BasicAuth(auth.username, auth.password)
        self._tokens = None
        if auth.strategy == "oauth":
            self._tokens = OAuthTokens(
                auth, ca_certificate_path=settings.ca_certificate_path, async_transport=transport
            )
        try:
            verify = tls_context(settings.ca_certificate_path)
        except CredentialsError as exc:
            raise CamundaAuthError(str(exc)) from None
        self._http = httpx.AsyncClient(
            base_url=settings.address,
            timeout=settings.timeout,
            transport=transport,
            auth=basic,
            verify=verify,
            headers={"Accept": "application/json"},
        )

    @property
    def address(self) -> str:
        return self._settings.address

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the calls ----------------------------------------------------------------------------

    async def process_definitions(self, process_definition_id: str) -> list[ProcessDefinition]:
        """Every deployed version of a process, oldest first."""
        items = await self._search(
            "/process-definitions/search",
            {
                "filter": self._filter(processDefinitionId=process_definition_id),
                "sort": [{"field": "version", "order": "ASC"}],
            },
            key="processDefinitionKey",
        )
        try:
            found = [
                ProcessDefinition(
                    key=str(item["processDefinitionKey"]),
                    process_definition_id=str(item["processDefinitionId"]),
                    version=int(item["version"]),
                )
                for item in items
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._shape("process definition", exc) from None
        # A server that ignores the filter must not mix other processes in.
        return sorted(
            (d for d in found if d.process_definition_id == process_definition_id),
            key=lambda d: d.version,
        )

    async def element_statistics(
        self, definition_key: str, **fields: Any
    ) -> list[ElementStatistics]:
        """Per element of one definition: active, canceled, incidents and completed counts."""
        body = await self._post(
            f"/process-definitions/{definition_key}/statistics/element-instances",
            {"filter": self._filter(**fields)},
        )
        try:
            return [
                ElementStatistics(
                    element_id=str(item["elementId"]),
                    active=int(item.get("active") or 0),
                    canceled=int(item.get("canceled") or 0),
                    incidents=int(item.get("incidents") or 0),
                    completed=int(item.get("completed") or 0),
                )
                for item in body.get("items") or []
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._shape("element statistics", exc) from None

    async def incidents(
        self, process_definition_id: str, *, limit: int = 20
    ) -> tuple[list[Incident], int]:
        """The newest active incidents of a process (at most `limit`) and how many there are."""
        body = await self._post(
            "/incidents/search",
            {
                "filter": self._filter(processDefinitionId=process_definition_id, state="ACTIVE"),
                "sort": [{"field": "creationTime", "order": "DESC"}],
                "page": {"limit": limit},
            },
        )
        try:
            items = [
                Incident(
                    key=str(item["incidentKey"]),
                    error_type=str(item.get("errorType") or "UNKNOWN"),
                    error_message=str(item.get("errorMessage") or ""),
                    element_id=str(item.get("elementId") or ""),
                    process_instance_key=str(item.get("processInstanceKey") or ""),
                    job_key=None if item.get("jobKey") is None else str(item["jobKey"]),
                    creation_time=item.get("creationTime"),
                )
                for item in body.get("items") or []
            ]
            page = body.get("page") or {}
            total = int(page.get("totalItems", len(items)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._shape("incident", exc) from None
        return items, total

    async def process_instances(
        self,
        process_definition_id: str,
        *,
        state: str | None = None,
        variables: dict[str, Any] | None = None,
    ) -> list[ProcessInstance]:
        """Instances of a process, newest first; `variables` must all match (name -> value)."""
        fields: dict[str, Any] = {"processDefinitionId": process_definition_id}
        if state is not None:
            fields["state"] = state
        if variables:
            fields["variables"] = [
                {"name": name, "value": json.dumps(value)} for name, value in variables.items()
            ]
        items = await self._search(
            "/process-instances/search",
            {"filter": self._filter(**fields), "sort": [{"field": "startDate", "order": "DESC"}]},
            key="processInstanceKey",
        )
        try:
            found = [
                ProcessInstance(
                    key=str(item["processInstanceKey"]),
                    process_definition_key=str(item["processDefinitionKey"]),
                    state=str(item["state"]),
                    start_date=item.get("startDate"),
                    end_date=item.get("endDate"),
                    has_incident=bool(item.get("hasIncident")),
                )
                for item in items
                if item.get("processDefinitionId") == process_definition_id
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._shape("process instance", exc) from None
        return found

    async def variables(
        self, *, process_instance_key: str | None = None, name: str | None = None
    ) -> list[Variable]:
        """Variables of one instance (every scope), or of one name across instances.

        Search answers carry long values truncated; those are read one by one in full.
        """
        fields = {"processInstanceKey": process_instance_key, "name": name}
        items = await self._search(
            "/variables/search",
            {"filter": self._filter(**{k: v for k, v in fields.items() if v is not None})},
            key="variableKey",
        )
        found = []
        try:
            for item in items:
                text = item["value"]
                if item.get("isTruncated"):
                    text = (await self._get(f"/variables/{item['variableKey']}"))["value"]
                found.append(
                    Variable(
                        name=str(item["name"]),
                        value=json.loads(text),
                        scope_key=str(item["scopeKey"]),
                        process_instance_key=str(item["processInstanceKey"]),
                    )
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise self._shape("variable", exc) from None
        return found

    async def instance_statistics(
        self, definition_key: str, process_instance_key: str
    ) -> list[ElementStatistics]:
        """Per element of one instance: where its tokens are, wait, failed and ended."""
        return await self.element_statistics(
            definition_key, processInstanceKey=process_instance_key
        )

    async def user_tasks(self, process_instance_key: str) -> list[UserTask]:
        """The open (CREATED) user tasks of an instance, as Tasklist lists them."""
        items = await self._search(
            "/user-tasks/search",
            {"filter": self._filter(processInstanceKey=process_instance_key, state="CREATED")},
            key="userTaskKey",
        )
        try:
            return [
                UserTask(
                    key=str(item["userTaskKey"]),
                    element_id=str(item["elementId"]),
                    process_instance_key=str(item["processInstanceKey"]),
                    creation_date=item.get("creationDate"),
                )
                for item in items
                if str(item.get("processInstanceKey")) == process_instance_key
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._shape("user task", exc) from None

    async def complete_user_task(self, key: str, variables: dict[str, Any]) -> None:
        """Complete a user task as Tasklist does (204, no body)."""
        await self._post(f"/user-tasks/{key}/completion", {"variables": variables}, body=False)

    # -- plumbing -----------------------------------------------------------------------------

    async def _search(self, path: str, query: dict[str, Any], *, key: str) -> list[Any]:
        """All items of a search, following cursor pages; stops when a page brings nothing new."""
        items: list[Any] = []
        seen: set[str] = set()
        page: dict[str, Any] = {"limit": PAGE_LIMIT}
        for _ in range(MAX_PAGES):
            body = await self._post(path, {**query, "page": page})
            batch = body.get("items")
            if not isinstance(batch, list):
                raise CamundaResponseError(f"{self.address}{path}: the answer has no items list")
            fresh = [i for i in batch if isinstance(i, dict) and str(i.get(key)) not in seen]
            seen.update(str(i.get(key)) for i in fresh)
            items.extend(fresh)
            cursor = (body.get("page") or {}).get("endCursor")
            if len(batch) < PAGE_LIMIT or not fresh or not cursor:
                break
            page = {"limit": PAGE_LIMIT, "after": cursor}
        return items

    async def _get(self, path: str) -> dict[str, Any]:
        return await self._post(path, None)

    async def _post(
        self, path: str, payload: dict[str, Any] | None, *, body: bool = True
    ) -> dict[str, Any]:
        """POST `payload` (None: GET) and return the JSON object answered (`body=False`: the
        call answers 204 without one)."""
        response = await self._send(path, payload)
        if response.status_code == 401 and self._tokens is not None:
            self._tokens.invalidate()  # expired early or revoked: one fresh token, one retry
            response = await self._send(path, payload)
        where = f"{self.address}{path}"
        if response.status_code in (401, 403):
            raise CamundaAuthError(
                f"{where}: {response.status_code} {response.reason_phrase}"
                f" (auth: {self._settings.auth.strategy}); check the credentials"
            )
        if response.status_code >= 500:
            raise CamundaUnavailableError(
                f"{where}: {response.status_code} {response.reason_phrase}{_detail(response)}"
            )
        if response.status_code >= 400:
            raise CamundaResponseError(
                f"{where}: {response.status_code} {response.reason_phrase}{_detail(response)}"
            )
        if not body:
            return {}
        try:
            answer = response.json()
        except ValueError:
            raise CamundaResponseError(f"{where}: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise CamundaResponseError(f"{where}: the answer is not a JSON object")
        return answer

    async def _send(self, path: str, payload: dict[str, Any] | None) -> httpx.Response:
        headers = {}
        if self._tokens is not None:
            try:
                headers["Authorization"] = await self._tokens.aauthorization()
            except CredentialsError as exc:
                raise CamundaAuthError(str(exc)) from None
        try:
            if payload is None:
                return await self._http.get(path, headers=headers)
            return await self._http.post(path, json=payload, headers=headers)
        except httpx.TimeoutException:
            raise CamundaUnavailableError(
                f"Camunda REST API at {self.address} did not answer within"
                f" {self._settings.timeout:g}s"
            ) from None
        except httpx.HTTPError as exc:
            raise CamundaUnavailableError(
                f"cannot reach the Camunda REST API at {self.address}: {_reason(exc)}"
            ) from None

    def _filter(self, **fields: Any) -> dict[str, Any]:
        """A search filter, narrowed to the configured tenant when there is one."""
        if self._settings.tenant_id:
            fields["tenantId"] = self._settings.tenant_id
        return fields

    def _shape(self, what: str, exc: Exception) -> CamundaResponseError:
        return CamundaResponseError(
            f"{self.address}: a {what} in the answer is not the shape we know ({exc!r})"
        )


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _detail(response: httpx.Response) -> str:
    """The `detail` of an RFC 9457 problem answer, if there is one, on one line."""
    try:
        problem = response.json()
    except ValueError:
        return ""
    detail = problem.get("detail") if isinstance(problem, dict) else None
    return f": {' '.join(str(detail).split())[:300]}" if detail else ""
