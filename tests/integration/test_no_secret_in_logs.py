# The fake gateway serves only the calls these tests need (grpc answers UNIMPLEMENTED for
# the rest), so mypy sees it as abstract.
# mypy: disable-error-code="abstract"
"""Issue 16, item 2: no secret in any log line, even at debug level.

`canary worker` runs the OAuth client-credentials path for real: a local token endpoint and a
TLS gateway (a throwaway certificate from the openssl command), CANARY_LOG_LEVEL=debug, where
requests_oauthlib logs the token request's headers and body and the token it obtained. Neither
the client secret (nor its Basic form) nor the access token may appear anywhere in the output.
"""

import base64
import ssl
import subprocess
from pathlib import Path

import pytest
from aiohttp import web
from fake_gateway import FakeGateway
from support.local_http import serving
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


def token_app(requests: list[str]) -> web.Application:
    async def token(request: web.Request) -> web.Response:
        requests.append(request.headers.get("Authorization", "") + (await request.text()))
        return web.json_response(
            {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 300}
        )

    app = web.Application()
    app.router.add_post("/oauth/token", token)
    return app


async def test_the_oauth_path_at_debug_level_logs_neither_secret_nor_token(
    database_url, certificate
):
    key, cert = certificate
    requests: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    async with serving(token_app(requests), ssl_context=context) as port:
        gateway = await FakeGateway().start(tls=(key.read_bytes(), cert.read_bytes()))
        env = {
            "DATABASE_URL": database_url,
            "CANARY_LOG_LEVEL": "debug",
            "ZEEBE_ADDRESS": f"https://{gateway.address}",
            "ZEEBE_CA_CERTIFICATE_PATH": str(cert),
            "ZEEBE_CLIENT_ID": CLIENT_ID,
            "ZEEBE_CLIENT_SECRET": CLIENT_SECRET,
            "ZEEBE_AUTHORIZATION_SERVER_URL": f"https://127.0.0.1:{port}/oauth/token",
        }
        try:
            async with WorkerProcess("--tasks", "v1", env=env) as worker:
                await worker.wait_for(lambda: gateway.authorization)
                assert await worker.stop() == 0
        finally:
            await gateway.stop()
    assert gateway.authorization == f"Bearer {ACCESS_TOKEN}"
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert CLIENT_SECRET in requests[0] or basic in requests[0]  # it went to the endpoint
    assert_no_secret("\n".join(worker.lines), basic)


def assert_no_secret(output: str, *forms: str) -> None:
    for secret in (CLIENT_SECRET, ACCESS_TOKEN, "payload-Q7w", *forms):
        assert secret not in output
