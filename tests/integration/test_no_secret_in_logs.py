"""Issue 16, item 2: no secret in any log line, even at debug level.

`canary worker` runs the OAuth client-credentials path for real: a local token endpoint and a
TLS gateway (a throwaway certificate from the openssl command), CANARY_LOG_LEVEL=debug, where
requests_oauthlib logs the token request's headers and body and the token it obtained. Neither
the client secret (nor its Basic form) nor the access token may appear anywhere in the output.
"""

import asyncio
import base64
import io
import ssl
import subprocess
from pathlib import Path

import pytest
from aiohttp import web
from fake_gateway import FakeGateway
from worker_process import WorkerProcess

pytestmark = [pytest.mark.postgres]

CLIENT_ID = "canary-worker"
CLIENT_SECRET = "s3cret-Kx9-client-secret"  # noqa: S105
ACCESS_TOKEN = "tok-eyJhbGciOiJSUzI1NiJ9.payload-Q7w.signature-Zp4"  # noqa: S105


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (key, cert)."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


async def token_endpoint(key: Path, cert: Path, requests: list[str]) -> web.AppRunner:
    async def token(request: web.Request) -> web.Response:
        requests.append(request.headers.get("Authorization", "") + (await request.text()))
        return web.json_response(
            {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 300}
        )

    app = web.Application()
    app.router.add_post("/oauth/token", token)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    return runner


async def test_the_oauth_path_at_debug_level_logs_neither_secret_nor_token(
    database_url, certificate
):
    key, cert = certificate
    requests: list[str] = []
    runner = await token_endpoint(key, cert, requests)
    port = runner.addresses[0][1]
    gateway = await FakeGateway().start(tls=(key.read_bytes(), cert.read_bytes()))
    env = {
        "DATABASE_URL": database_url,
        "CANARY_LOG_LEVEL": "debug",
        "ZEEBE_ADDRESS": f"https://{gateway.address}",
        "ZEEBE_CA_CERTIFICATE_PATH": str(cert),
        "ZEEBE_CLIENT_ID": CLIENT_ID,
        "ZEEBE_CLIENT_SECRET": CLIENT_SECRET,
        "ZEEBE_AUTHORIZATION_SERVER_URL": f"https://127.0.0.1:{port}/oauth/token",
        # requests (used by the OAuth library) trusts the throwaway certificate through this.
        "REQUESTS_CA_BUNDLE": str(cert),
    }
    try:
        async with WorkerProcess("--tasks", "v1", env=env) as worker:
            await worker.wait_for(lambda: gateway.authorization)
            # The library's debug lines about the token request are there (scrubbed).
            for line in ("Request headers were", "Request body was", "Obtained token"):
                await worker.wait_for(lambda x=line: any(x in y for y in worker.lines))
            assert await worker.stop() == 0
    finally:
        await gateway.stop()
        await runner.cleanup()
    assert gateway.authorization == f"Bearer {ACCESS_TOKEN}"
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert basic in requests[0]  # the secret did go to the endpoint, as a Basic header
    assert_no_secret("\n".join(worker.lines), basic)


async def test_the_saas_token_request_at_debug_level_logs_neither_secret_nor_token(
    certificate, monkeypatch
):
    """In SaaS mode the secret travels in the token request's body (logged by the library)."""
    from workers.logs import configure_logging  # noqa: PLC0415
    from workers.runtime.zeebe_connection import token_plugin  # noqa: PLC0415
    from workers.settings import LoggingSettings, ZeebeSettings  # noqa: PLC0415

    key, cert = certificate
    requests: list[str] = []
    runner = await token_endpoint(key, cert, requests)
    port = runner.addresses[0][1]
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    settings = ZeebeSettings.from_env(
        {
            "CAMUNDA_CLUSTER_ID": "cluster-1",
            "ZEEBE_CLIENT_ID": CLIENT_ID,
            "ZEEBE_CLIENT_SECRET": CLIENT_SECRET,
            "ZEEBE_AUTHORIZATION_SERVER_URL": f"https://127.0.0.1:{port}/oauth/token",
        }
    )
    out = io.StringIO()
    configure_logging(
        LoggingSettings(format="json", level="debug", redact_keys=frozenset()), stream=out
    )
    plugin = token_plugin(settings)
    signed: list[tuple[object, object]] = []
    try:
        await asyncio.to_thread(plugin, None, lambda meta, error: signed.append((meta, error)))
    finally:
        await runner.cleanup()
    assert signed == [((("authorization", f"Bearer {ACCESS_TOKEN}"),), None)]
    assert CLIENT_SECRET in requests[0]  # the secret did go to the endpoint, in the body
    text = out.getvalue()
    assert "Request body was" in text
    assert "Obtained token" in text
    assert_no_secret(text, CLIENT_SECRET)


def assert_no_secret(output: str, *forms: str) -> None:
    for secret in (CLIENT_SECRET, ACCESS_TOKEN, "payload-Q7w", *forms):
        assert secret not in output
