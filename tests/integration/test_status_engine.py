"""`canary status` against the dev engine (or a real cluster with ZEEBE_ADDRESS set).

Instances are driven into every state through the gateway's own calls: routed to each
version, then verified, rejected, unreadable, failed into an incident, or left waiting. The
status must then show, per version, exactly those numbers (as differences from before, so a
shared real cluster with other instances works too).
"""

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from workers import process
from workers.cli import build_parser
from workers.operate.camunda_rest import CamundaRestClient
from workers.operate.status import Status, collect_status
from workers.settings import CamundaRestSettings, camunda_rest_address

pytestmark = [pytest.mark.engine, pytest.mark.postgres]

BPMN = Path(__file__).resolve().parents[2] / "bpmn" / process.BPMN_FILE
PER_VERSION = 6
#: What each version's six verify jobs do, in order.
PLAN = ("verified", "verified", "rejected", "unreadable", "incident", "waiting")


async def activate(stub: GatewayStub, job_type: str, count: int) -> list[Any]:
    jobs: list[Any] = []
    async with asyncio.timeout(30):
        while len(jobs) < count:
            request = pb.ActivateJobsRequest(
                type=job_type,
                worker="status-test",
                timeout=300_000,
                maxJobsToActivate=count - len(jobs),
                requestTimeout=2_000,
            )
            async for response in stub.ActivateJobs(request):
                jobs.extend(response.jobs)
    return jobs


async def drive_instances(stub: GatewayStub, client: Any) -> None:
    for i in range(2 * PER_VERSION):
        await client.run_process("identity-verification", variables={"applicantId": f"s{i}"})
    chosen = await activate(stub, "choose-version", 2 * PER_VERSION)
    for i, job in enumerate(chosen):
        version = 1 if i < PER_VERSION else 2
        await stub.CompleteJob(
            pb.CompleteJobRequest(jobKey=job.key, variables=json.dumps({"useVersion": version}))
        )
    for version in (1, 2):
        jobs = await activate(stub, f"verify-identity-v{version}", PER_VERSION)
        for job, fate in zip(jobs, PLAN, strict=True):
            if fate == "verified":
                await stub.CompleteJob(pb.CompleteJobRequest(jobKey=job.key, variables="{}"))
            elif fate in ("rejected", "unreadable"):
                code = "IDENTITY_REJECTED" if fate == "rejected" else "DOCUMENT_UNREADABLE"
                await stub.ThrowError(
                    pb.ThrowErrorRequest(jobKey=job.key, errorCode=code, errorMessage=fate)
                )
            elif fate == "incident":
                await stub.FailJob(
                    pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="v2 answered 503")
                )


def counts(status: Status) -> dict[int, tuple[int, int, int, int, int]]:
    return {
        v: (s.active, s.completed, s.rejected, s.unreadable, s.incidents)
        for v, s in status.versions.items()
    }


async def test_status_shows_instances_in_every_state(zeebe_target, zeebe_client, zeebe_channel):
    rest_settings = dataclasses.replace(
        CamundaRestSettings.from_env({}), address=camunda_rest_address(zeebe_target.rest_url)
    )
    await zeebe_client.deploy_resource(str(BPMN))
    async with CamundaRestClient(rest_settings) as rest:
        before = counts(await collect_status(rest, rollout="r", rate=0.5, strategy="sticky"))
        await drive_instances(GatewayStub(zeebe_channel), zeebe_client)
        expected = {
            v: tuple(b + d for b, d in zip(before[v], (1, 2, 1, 1, 1), strict=True)) for v in (1, 2)
        }
        # Operate's numbers are eventually consistent on a real cluster: poll briefly.
        async with asyncio.timeout(60):
            while True:
                status = await collect_status(rest, rollout="r", rate=0.5, strategy="sticky")
                if counts(status) == expected:
                    break
                await asyncio.sleep(0.2)
    assert status.incident_total >= 2
    assert {i.element_id for i in status.incidents} >= {"verify-identity-v1", "verify-identity-v2"}
    assert {i.error_type for i in status.incidents} == {"JOB_NO_RETRIES"}


async def test_status_command_prints_json_from_the_engine(zeebe_target, database_url, capsys):
    args = build_parser().parse_args(
        [
            "status",
            "--json",
            "--rest-address",
            zeebe_target.rest_url,
            "--database-url",
            database_url,
        ]
    )
    assert await args.handler(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rollout"] == "verifymenow"
    assert data["rate"] == 0.0
    assert set(data["versions"]) == {"v1", "v2"}
