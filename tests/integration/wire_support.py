"""What goes on the wire: a recording Zeebe gateway, a local OAuth token endpoint, TLS files.

The gateway answers the calls our clients make (Topology, DeployResource,
CreateProcessInstance, ActivateJobs) and records each call's metadata and request, over
plaintext or TLS. The token endpoint answers the client-credentials grant and records each
form it was sent. Certificates come from the `openssl` command: a CA and a localhost leaf.
"""

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from aiohttp import web
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayServicer, add_GatewayServicer_to_server
from support.local_http import serving


@dataclass(frozen=True)
class Tls:
    ca: Path
    cert: Path
    key: Path


def make_tls(directory: Path) -> Tls:
    """A throwaway CA and a certificate for localhost / 127.0.0.1 signed by it."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test CA",
        "-keyout", "ca.key", "-out", "ca.pem")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "leaf.key", "-out", "leaf.csr")  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-extfile", "san.ext", "-out", "leaf.pem")  # fmt: skip
    return Tls(ca=directory / "ca.pem", cert=directory / "leaf.pem", key=directory / "leaf.key")


@dataclass
class Call:
    method: str
    metadata: dict[str, str]
    request: Any


@dataclass
class RecordingGateway(GatewayServicer):
    calls: list[Call] = field(default_factory=list)

    def _record(self, method: str, request: Any, context: Any) -> None:
        metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        self.calls.append(Call(method, metadata, request))

    def authorizations(self) -> list[str | None]:
        return [c.metadata.get("authorization") for c in self.calls]

    async def Topology(self, request: Any, context: Any) -> Any:  # noqa: N802
        self._record("Topology", request, context)
        return pb.TopologyResponse(gatewayVersion="8.9.0-recording")

    async def DeployResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        self._record("DeployResource", request, context)
        deployments = [
            pb.Deployment(
                process=pb.ProcessMetadata(
                    bpmnProcessId=resource.name.removesuffix(".bpmn"),
                    version=1,
                    processDefinitionKey=2251799813685249 + n,
                    resourceName=resource.name,
                    tenantId=request.tenantId or "<default>",
                )
            )
            for n, resource in enumerate(request.resources)
        ]
        return pb.DeployResourceResponse(key=1, deployments=deployments, tenantId=request.tenantId)

    async def CreateProcessInstance(self, request: Any, context: Any) -> Any:  # noqa: N802
        self._record("CreateProcessInstance", request, context)
        return pb.CreateProcessInstanceResponse(
            processDefinitionKey=1,
            bpmnProcessId=request.bpmnProcessId,
            version=1,
            processInstanceKey=2251799813690000 + len(self.calls),
            tenantId=request.tenantId,
        )

    async def ActivateJobs(self, request: Any, context: Any) -> AsyncIterator[Any]:  # noqa: N802
        self._record("ActivateJobs", request, context)
        # A long poll that finds nothing: answer after a pause, never in a tight loop.
        await asyncio.sleep(0.2)
        return
        yield  # an async generator that yields nothing


@contextlib.asynccontextmanager
async def recording_gateway(tls: Tls | None = None) -> AsyncIterator[tuple[RecordingGateway, str]]:
    """A recording gateway on 127.0.0.1 (TLS when given files) and its host:port."""
    gateway = RecordingGateway()  # type: ignore[abstract]  # serves only the calls we record
    server = grpc.aio.server()
    add_GatewayServicer_to_server(gateway, server)
    if tls is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        credentials = grpc.ssl_server_credentials([(tls.key.read_bytes(), tls.cert.read_bytes())])
        port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    try:
        yield gateway, f"localhost:{port}"
    finally:
        await server.stop(0)


@dataclass
class TokenEndpoint:
    url: str
    forms: list[dict[str, str]] = field(default_factory=list)
    token: str = "tok-1"  # noqa: S105 - test value


@contextlib.asynccontextmanager
async def token_endpoint(*, refuse: bool = False) -> AsyncIterator[TokenEndpoint]:
    """An OAuth token endpoint on 127.0.0.1 answering the client-credentials grant."""
    endpoint = TokenEndpoint(url="")

    async def issue(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        endpoint.forms.append(form)
        if refuse or form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response(
            {"access_token": endpoint.token, "token_type": "Bearer", "expires_in": 300}
        )

    app = web.Application()
    app.router.add_post("/oauth/token", issue)
    async with serving(app) as port:
        endpoint.url = f"http://127.0.0.1:{port}/oauth/token"
        yield endpoint
