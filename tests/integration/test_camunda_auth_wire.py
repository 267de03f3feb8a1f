"""Every auth strategy, as a gateway and a token endpoint see it on the wire.

none, Basic (TLS, and plaintext with the opt-in), OAuth (TLS, and plaintext with the opt-in)
and Camunda SaaS's settings: the `authorization` metadata each gRPC call carries, the form the
token endpoint gets, the tenant on deploy, create instance and job activation, and no secret in
an error.
"""

import asyncio
import base64
import dataclasses
import ssl

import grpc
import pytest
from aiohttp import web
from pyzeebe import ZeebeClient
from pyzeebe.proto.gateway_pb2 import ActivateJobsRequest, TopologyRequest
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub
from support.flow import settings_for
from support.local_http import serving
from wire_support import (
    Tls,
    make_tls,
    recording_gateway,
    token_endpoint,
)

from workers.operate.camunda_rest import CamundaRestClient, CamundaUnavailableError
from workers.operate.deploy import BPMN_DIR, deploy
from workers.operate.load import start_instances
from workers.runtime.service import running_service
from workers.runtime.zeebe_connection import create_channel
from workers.settings import CamundaRestSettings, ZeebeSettings

SECRET = "s3cret-never-shown"  # noqa: S105 - test value


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return make_tls(tmp_path_factory.mktemp("tls"))


async def topology_and_poll(settings: ZeebeSettings) -> None:
    """One unary call and one server-streaming call, as the workers make them."""
    channel = create_channel(settings)
    try:
        stub = GatewayStub(channel)
        await stub.Topology(TopologyRequest(), timeout=5)
        request = ActivateJobsRequest(type="t", worker="w", timeout=1000, maxJobsToActivate=1)
        async for _ in stub.ActivateJobs(request, timeout=5):
            pass
    finally:
        await channel.close()


async def test_no_auth_sends_no_authorization():
    async with recording_gateway() as (gateway, address):
        await topology_and_poll(ZeebeSettings.from_env({"ZEEBE_ADDRESS": address}))
    assert gateway.authorizations() == [None, None]


async def test_basic_auth_over_tls_is_sent_as_call_credentials(tls):
    env = {
        "ZEEBE_ADDRESS": "",
        "CAMUNDA_BASIC_AUTH_USERNAME": "demo",
        "CAMUNDA_BASIC_AUTH_PASSWORD": SECRET,
        "CAMUNDA_CUSTOM_ROOT_CERT_PATH": str(tls.ca),
    }
    async with recording_gateway(tls) as (gateway, address):
        settings = ZeebeSettings.from_env({**env, "ZEEBE_ADDRESS": address})
        assert settings.tls  # credentials and no scheme: TLS
        await topology_and_poll(settings)
    expected = "Basic " + base64.b64encode(f"demo:{SECRET}".encode()).decode()
    assert gateway.authorizations() == [expected, expected]


async def test_basic_auth_over_plaintext_only_with_the_opt_in():
    env = {"CAMUNDA_BASIC_AUTH_USERNAME": "demo", "CAMUNDA_BASIC_AUTH_PASSWORD": SECRET}
    async with recording_gateway() as (gateway, address):
        settings = ZeebeSettings.from_env(
            {**env, "ZEEBE_GRPC_ADDRESS": address, "CAMUNDA_SECURE_CONNECTION": "false"}
        )
        await topology_and_poll(settings)
    expected = "Basic " + base64.b64encode(f"demo:{SECRET}".encode()).decode()
    assert gateway.authorizations() == [expected, expected]


async def test_oauth_over_tls_fetches_one_token_and_sends_it_as_bearer(tls):
    async with token_endpoint() as tokens, recording_gateway(tls) as (gateway, address):
        settings = ZeebeSettings.from_env(
            {
                "ZEEBE_ADDRESS": f"https://{address}",
                "ZEEBE_CLIENT_ID": "canary",
                "ZEEBE_CLIENT_SECRET": SECRET,
                "ZEEBE_AUTHORIZATION_SERVER_URL": tokens.url,
                "ZEEBE_TOKEN_AUDIENCE": "zeebe-api",
                "ZEEBE_CA_CERTIFICATE_PATH": str(tls.ca),
            }
        )
        await topology_and_poll(settings)
    assert gateway.authorizations() == ["Bearer tok-1", "Bearer tok-1"]
    assert tokens.forms == [
        {
            "grant_type": "client_credentials",
            "client_id": "canary",
            "client_secret": SECRET,
            "audience": "zeebe-api",
        }
    ]


async def test_oauth_over_plaintext_with_the_opt_in():
    async with token_endpoint() as tokens, recording_gateway() as (gateway, address):
        settings = ZeebeSettings.from_env(
            {
                "ZEEBE_ADDRESS": address,
                "CAMUNDA_SECURE_CONNECTION": "false",
                "CAMUNDA_CLIENT_ID": "canary",
                "CAMUNDA_CLIENT_SECRET": SECRET,
                "CAMUNDA_OAUTH_URL": tokens.url,
            }
        )
        assert not settings.tls
        await topology_and_poll(settings)
    assert gateway.authorizations() == ["Bearer tok-1", "Bearer tok-1"]
    assert len(tokens.forms) == 1


async def test_saas_settings_ask_for_the_saas_audience_and_send_the_token(tls):
    console = {
        "ZEEBE_CLIENT_ID": "canary",
        "ZEEBE_CLIENT_SECRET": SECRET,
        "CAMUNDA_CLUSTER_ID": "c0ffee-1",
        "CAMUNDA_CLUSTER_REGION": "bru-2",
        "CAMUNDA_CUSTOM_ROOT_CERT_PATH": str(tls.ca),
    }
    saas = ZeebeSettings.from_env(console)
    assert (saas.address, saas.tls) == ("c0ffee-1.bru-2.zeebe.camunda.io:443", True)
    assert saas.auth.oauth_url == "https://login.cloud.camunda.io/oauth/token"
    async with token_endpoint() as tokens, recording_gateway(tls) as (gateway, address):
        # The same settings, pointed at the local gateway and token endpoint.
        local = dataclasses.replace(
            saas, address=address, auth=dataclasses.replace(saas.auth, oauth_url=tokens.url)
        )
        await topology_and_poll(local)
    assert gateway.authorizations() == ["Bearer tok-1", "Bearer tok-1"]
    assert tokens.forms[0]["audience"] == "zeebe.camunda.io"


async def test_a_refused_token_fails_the_call_without_showing_the_secret(tls):
    async with (
        token_endpoint(refuse=True) as tokens,
        recording_gateway(tls) as (gateway, address),
    ):
        settings = ZeebeSettings.from_env(
            {
                "ZEEBE_ADDRESS": f"https://{address}",
                "CAMUNDA_CLIENT_ID": "canary",
                "CAMUNDA_CLIENT_SECRET": SECRET,
                "CAMUNDA_OAUTH_URL": tokens.url,
                "CAMUNDA_CUSTOM_ROOT_CERT_PATH": str(tls.ca),
            }
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await topology_and_poll(settings)
    assert gateway.calls == []
    assert "refused the client credentials" in (caught.value.details() or "")
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(settings)


async def test_the_tenant_goes_with_deploy_create_instance_and_activation(
    database_url: str,
) -> None:
    tenant = {"CAMUNDA_TENANT_ID": "team-a", "CANARY_WORKER_TENANT_IDS": "team-a,team-b"}
    async with recording_gateway() as (gateway, address):
        zeebe = ZeebeSettings.from_env({"ZEEBE_ADDRESS": address, **tenant})
        channel = create_channel(zeebe)
        try:
            client = ZeebeClient(channel)
            model = BPMN_DIR / "identity-verification.bpmn"
            await deploy(client, [model], address=address, tenant_id=zeebe.tenant_id)
            await start_instances(client, count=1, per_second=100, tenant_id=zeebe.tenant_id)
        finally:
            await channel.close()
        settings = settings_for(
            grpc_address=address,
            database_url=database_url,
            stub_url="http://127.0.0.1:9",
            extra={**tenant, "CANARY_TASKS": "v1", "CANARY_STARTUP_WAIT": "0s"},
        )
        async with running_service(settings):
            for _ in range(50):
                if any(c.method == "ActivateJobs" for c in gateway.calls):
                    break
                await asyncio.sleep(0.1)
    by_method = {c.method: c.request for c in gateway.calls}
    assert by_method["DeployResource"].tenantId == "team-a"
    assert by_method["CreateProcessInstance"].tenantId == "team-a"
    assert list(by_method["ActivateJobs"].tenantIds) == ["team-a", "team-b"]


async def test_the_rest_client_trusts_the_private_ca_and_only_with_it(tls):
    seen: list[str | None] = []

    async def search(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"items": [], "page": {"totalItems": 0}})

    app = web.Application()
    app.router.add_post("/v2/process-definitions/search", search)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls.cert, tls.key)
    basic = {"CAMUNDA_BASIC_AUTH_USERNAME": "demo", "CAMUNDA_BASIC_AUTH_PASSWORD": SECRET}
    async with serving(app, ssl_context=context) as port:
        url = f"https://localhost:{port}"
        trusted = CamundaRestSettings.from_env(
            {"CAMUNDA_REST_ADDRESS": url, "CAMUNDA_CUSTOM_ROOT_CERT_PATH": str(tls.ca), **basic}
        )
        async with CamundaRestClient(trusted) as rest:
            assert await rest.process_definitions("identity-verification") == []
        untrusted = CamundaRestSettings.from_env({"CAMUNDA_REST_ADDRESS": url, **basic})
        async with CamundaRestClient(untrusted) as rest:
            with pytest.raises(CamundaUnavailableError, match="CERTIFICATE_VERIFY_FAILED") as e:
                await rest.process_definitions("identity-verification")
        assert SECRET not in str(e.value)
    assert seen == ["Basic " + base64.b64encode(f"demo:{SECRET}".encode()).decode()]
