"""The Camunda REST client and `canary status`, against Camunda-shaped JSON (no server)."""

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rich.console import Console

from workers.errors import ConfigError
from workers.operate.camunda_rest import (
    CamundaAuthError,
    CamundaResponseError,
    CamundaRestClient,
    CamundaUnavailableError,
)
from workers.operate.status import collect_status
from workers.operate.status_view import status_view, watch
from workers.settings import CamundaRestSettings

Handler = Callable[[httpx.Request], httpx.Response]

DEFINITIONS = {
    "items": [
        {"processDefinitionKey": "2251799813685249", "processDefinitionId": "identity-verification",
         "version": 1, "name": "Identity verification", "tenantId": "<default>"},
        {"processDefinitionKey": "2251799813685311", "processDefinitionId": "identity-verification",
         "version": 2, "name": "Identity verification", "tenantId": "<default>"},
    ],
    "page": {"totalItems": 2, "startCursor": "a", "endCursor": "b", "hasMoreTotalItems": False},
}  # fmt: skip


def stat(element: str, active: int, canceled: int, incidents: int, completed: int) -> dict:
    return {
        "elementId": element,
        "active": active,
        "canceled": canceled,
        "incidents": incidents,
        "completed": completed,
    }


STATISTICS = {
    "2251799813685249": {
        "items": [
            stat("choose-version", 0, 0, 0, 40),
            stat("verify-identity-v1", 3, 4, 1, 30),
            stat("application-rejected-v1", 0, 0, 0, 2),
            stat("document-unreadable-v1", 0, 0, 0, 2),
        ]
    },
    "2251799813685311": {
        "items": [
            stat("choose-version", 1, 0, 0, 20),
            stat("verify-identity-v1", 2, 0, 0, 10),
            stat("verify-identity-v2", 5, 1, 2, 6),
            stat("application-rejected-v2", 0, 0, 0, 1),
        ]
    },
}
INCIDENTS = {
    "items": [
        {"incidentKey": "2251799813690001", "processDefinitionKey": "2251799813685311",
         "processDefinitionId": "identity-verification",
         "processInstanceKey": "2251799813689000",
         "errorType": "JOB_NO_RETRIES",
         "errorMessage": "VerifyMeNow v2 answered 503\nafter 3 tries",
         "elementId": "verify-identity-v2", "elementInstanceKey": "2251799813689005",
         "creationTime": "2030-05-01T12:00:00.000Z", "state": "ACTIVE",
         "jobKey": "2251799813689006", "tenantId": "<default>"},
    ],
    "page": {"totalItems": 3},
}  # fmt: skip


def camunda(requests: list[httpx.Request] | None = None) -> Handler:
    """Serve the three endpoints the way Camunda 8.8+ does."""

    def handle(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        path = request.url.path
        if path == "/v2/process-definitions/search":
            return httpx.Response(200, json=DEFINITIONS)
        if path.startswith("/v2/process-definitions/") and path.endswith(
            "/statistics/element-instances"
        ):
            return httpx.Response(200, json=STATISTICS[path.split("/")[3]])
        if path == "/v2/incidents/search":
            return httpx.Response(200, json=INCIDENTS)
        return httpx.Response(404, json={"title": "NOT_FOUND", "detail": f"no {path}"})

    return handle


def settings(**env: str) -> CamundaRestSettings:
    return CamundaRestSettings.from_env({"CAMUNDA_REST_ADDRESS": "http://camunda:8080", **env})


def client(handler: Handler, **env: str) -> CamundaRestClient:
    return CamundaRestClient(settings(**env), transport=httpx.MockTransport(handler))


async def test_status_sums_every_deployed_definition_per_version():
    async with client(camunda()) as rest:
        status = await collect_status(rest, rollout="verifymenow", rate=0.25, strategy="sticky")
    v1, v2 = status.versions[1], status.versions[2]
    assert (v1.active, v1.completed, v1.rejected, v1.unreadable, v1.incidents) == (5, 40, 2, 2, 1)
    assert (v2.active, v2.completed, v2.rejected, v2.unreadable, v2.incidents) == (5, 6, 1, 0, 2)
    assert (status.routing_active, status.routing_incidents) == (1, 0)
    assert [d.version for d in status.definitions] == [1, 2]
    assert status.incident_total == 3
    assert status.incidents[0].error_type == "JOB_NO_RETRIES"


async def test_requests_have_the_shapes_camunda_documents():
    seen: list[httpx.Request] = []
    async with client(camunda(seen)) as rest:
        await collect_status(rest, rollout="verifymenow", rate=0.25, strategy="sticky")
    bodies = {r.url.path: json.loads(r.content) for r in seen}
    assert all(r.method == "POST" for r in seen)
    search = bodies["/v2/process-definitions/search"]
    assert search["filter"] == {"processDefinitionId": "identity-verification"}
    assert search["page"]["limit"] == 100
    assert "/v2/process-definitions/2251799813685311/statistics/element-instances" in bodies
    incidents = bodies["/v2/incidents/search"]
    assert incidents["filter"] == {
        "processDefinitionId": "identity-verification",
        "state": "ACTIVE",
    }


async def test_status_view_and_json_show_the_numbers():
    async with client(camunda()) as rest:
        status = await collect_status(rest, rollout="verifymenow", rate=0.25, strategy="sticky")
    console = Console(record=True, width=140)
    console.print(status_view(status))
    text = console.export_text()
    assert "25% to v2" in text
    assert "JOB_NO_RETRIES" in text
    assert "VerifyMeNow v2 answered 503 after 3 tries" in text  # one line, whitespace folded
    data = status.to_json()
    assert data["versions"]["v2"] == {
        "active": 5, "completed": 6, "rejected": 1, "unreadable": 0, "incidents": 2,
    }  # fmt: skip
    assert data["definitions"] == [
        {"key": "2251799813685249", "version": 1},
        {"key": "2251799813685311", "version": 2},
    ]


async def test_definition_search_follows_cursor_pages():
    pages: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        pages.append(body["page"])
        start = 0 if "after" not in body["page"] else int(body["page"]["after"])
        items = [
            {"processDefinitionKey": str(k), "processDefinitionId": "identity-verification",
             "version": k + 1}
            for k in range(start, min(start + 100, 130))
        ]  # fmt: skip
        return httpx.Response(200, json={"items": items, "page": {"endCursor": str(start + 100)}})

    async with client(handle) as rest:
        found = await rest.process_definitions("identity-verification")
    assert len(found) == 130
    assert pages == [{"limit": 100}, {"limit": 100, "after": "100"}]


async def test_basic_auth_sends_the_credentials():
    seen: list[httpx.Request] = []
    env = {"CAMUNDA_BASIC_AUTH_USERNAME": "demo", "CAMUNDA_BASIC_AUTH_PASSWORD": "s3cret"}
    async with client(camunda(seen), **env) as rest:
        await rest.process_definitions("identity-verification")
    expected = "Basic " + base64.b64encode(b"demo:s3cret").decode()
    assert seen[0].headers["Authorization"] == expected


async def test_oauth_fetches_a_token_once_and_sends_it_as_bearer():
    token_requests: list[httpx.Request] = []
    api = camunda()

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "login.example":
            token_requests.append(request)
            return httpx.Response(200, json={"access_token": "tok-1", "expires_in": 3600})
        assert request.headers["Authorization"] == "Bearer tok-1"
        return api(request)

    env = {
        "ZEEBE_CLIENT_ID": "canary",
        "ZEEBE_CLIENT_SECRET": "secret",
        "CAMUNDA_OAUTH_URL": "https://login.example/oauth/token",
        "ZEEBE_TOKEN_AUDIENCE": "zeebe.camunda.io",
    }
    async with client(handle, **env) as rest:
        await collect_status(rest, rollout="verifymenow", rate=0.0, strategy="sticky")
    assert len(token_requests) == 1
    form = dict(httpx.QueryParams(token_requests[0].content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "canary",
        "client_secret": "secret",
        "audience": "zeebe.camunda.io",
    }


async def test_a_refused_token_is_an_auth_error():
    env = {
        "CAMUNDA_CLIENT_ID": "canary",
        "CAMUNDA_CLIENT_SECRET": "wrong",
        "CAMUNDA_OAUTH_URL": "https://login.example/oauth/token",
    }
    async with client(lambda _: httpx.Response(401), **env) as rest:
        with pytest.raises(CamundaAuthError, match="refused the client credentials"):
            await rest.process_definitions("identity-verification")


async def test_an_unreachable_api_is_one_clear_line():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    async with client(refuse) as rest:
        with pytest.raises(CamundaUnavailableError) as caught:
            await rest.process_definitions("identity-verification")
    assert str(caught.value) == (
        "cannot reach the Camunda REST API at http://camunda:8080/v2: Connection refused"
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, CamundaUnavailableError), (401, CamundaAuthError), (400, CamundaResponseError)],
)
async def test_http_errors_become_our_errors_with_the_problem_detail(status, error):
    problem = {"type": "about:blank", "title": "x", "status": status, "detail": "bad\nfilter"}
    async with client(lambda _: httpx.Response(status, json=problem)) as rest:
        with pytest.raises(error) as caught:
            await rest.incidents("identity-verification")
    assert "\n" not in str(caught.value)


async def test_an_answer_of_the_wrong_shape_is_a_response_error():
    async with client(lambda _: httpx.Response(200, json={"items": [{"elementId": 3}]})) as rest:
        with pytest.raises(CamundaResponseError):
            await rest.process_definitions("identity-verification")


async def test_watch_shows_an_outage_as_one_line_and_keeps_trying():
    calls = 0

    async def fetch():
        nonlocal calls
        calls += 1
        if calls == 1:
            raise CamundaUnavailableError("cannot reach the Camunda REST API at http://x/v2: down")
        async with client(camunda()) as rest:
            return await collect_status(rest, rollout="verifymenow", rate=0.1, strategy="random")

    screen = io.StringIO()  # a terminal: every redraw reaches the stream
    console = Console(file=screen, force_terminal=True, width=140, color_system=None)
    await watch(fetch, console=console, interval=0.01, iterations=2)
    text = screen.getvalue()
    assert calls == 2
    assert "cannot reach the Camunda REST API at http://x/v2: down; retrying every 0.01s" in text
    assert "10% to v2" in text


def test_rest_address_gets_v2_appended_once():
    assert settings().address == "http://camunda:8080/v2"
    assert settings(CAMUNDA_REST_ADDRESS="http://c:8080/v2/").address == "http://c:8080/v2"


def test_auth_is_inferred_from_the_variables_present():
    assert settings().auth.strategy == "none"
    basic = settings(CAMUNDA_BASIC_AUTH_USERNAME="demo", CAMUNDA_BASIC_AUTH_PASSWORD="demo")  # noqa: S106 - test value
    assert basic.auth.strategy == "basic"
    oauth = settings(
        ZEEBE_CLIENT_ID="id",
        ZEEBE_CLIENT_SECRET="s",  # noqa: S106 - test value
        CAMUNDA_OAUTH_URL="https://l/oauth/token",
    )
    assert oauth.auth.strategy == "oauth"
    assert "secret" not in repr(
        settings(
            ZEEBE_CLIENT_ID="id",
            ZEEBE_CLIENT_SECRET="secret",  # noqa: S106 - test value
            CAMUNDA_OAUTH_URL="https://l/t",
        )
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CAMUNDA_REST_ADDRESS": "camunda:8080"}, "http://"),
        ({"CAMUNDA_BASIC_AUTH_USERNAME": "demo"}, "CAMUNDA_BASIC_AUTH_PASSWORD"),
        ({"ZEEBE_CLIENT_ID": "id", "ZEEBE_CLIENT_SECRET": "s"}, "CAMUNDA_OAUTH_URL"),
        ({"CAMUNDA_AUTH_STRATEGY": "kerberos"}, "NONE, BASIC or OAUTH"),
    ],
)
def test_incomplete_auth_settings_are_refused(env, message):
    with pytest.raises(ConfigError, match=message):
        CamundaRestSettings.from_env(env)


async def test_status_works_with_exactly_the_readmes_saas_variables():
    """README "Run it against Camunda SaaS": the same variables as the workers, nothing more."""
    seen: list[httpx.Request] = []
    api = camunda()

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "login.cloud.camunda.io":
            return httpx.Response(200, json={"access_token": "saas-tok", "expires_in": 300})
        assert request.url.host == "bru-2.zeebe.camunda.io"
        assert request.headers["Authorization"] == "Bearer saas-tok"
        prefix = "/c0ffee-1"
        assert request.url.path.startswith(prefix)
        return api(httpx.Request(request.method, request.url.path.removeprefix(prefix)))

    readme = {
        "ZEEBE_CLIENT_ID": "canary",
        "ZEEBE_CLIENT_SECRET": "secret",
        "CAMUNDA_CLUSTER_ID": "c0ffee-1",
        "CAMUNDA_CLUSTER_REGION": "bru-2",
        "CAMUNDA_REST_ADDRESS": "https://bru-2.zeebe.camunda.io/c0ffee-1",
    }
    rest_settings = CamundaRestSettings.from_env(readme)
    async with CamundaRestClient(rest_settings, transport=httpx.MockTransport(handle)) as rest:
        status = await collect_status(rest, rollout="verifymenow", rate=0.1, strategy="sticky")
    assert status.versions
    form = dict(httpx.QueryParams(seen[0].content.decode()))
    assert form["audience"] == "zeebe.camunda.io"
    # Without CAMUNDA_REST_ADDRESS the cluster's own address is the default.
    del readme["CAMUNDA_REST_ADDRESS"]
    assert CamundaRestSettings.from_env(readme).address == (
        "https://bru-2.zeebe.camunda.io/c0ffee-1/v2"
    )


async def test_a_tenant_narrows_every_search():
    seen: list[httpx.Request] = []
    async with client(camunda(seen), CAMUNDA_TENANT_ID="team-a") as rest:
        await collect_status(rest, rollout="verifymenow", rate=0.1, strategy="sticky")
    bodies = [json.loads(r.content) for r in seen]
    assert bodies
    assert all(body["filter"]["tenantId"] == "team-a" for body in bodies)


async def test_no_tenant_sends_no_tenant_filter():
    seen: list[httpx.Request] = []
    async with client(camunda(seen)) as rest:
        await collect_status(rest, rollout="verifymenow", rate=0.1, strategy="sticky")
    assert all("tenantId" not in json.loads(r.content)["filter"] for r in seen)
