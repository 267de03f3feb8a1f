"""The next migration, v2 -> v3, on the dev engine: the model after it and a v3 worker.

`next_model` is the shipped identity-verification model as the README's lifecycle leaves it
after v1 is retired and v3 is added: the v1 branch becomes the v3 branch (``= useVersion = 3``,
task type ``verify-identity-v3``) and v2 becomes the default. It is derived from the shipped
file, under a process id of its own, so it follows every change to the shipped model.

`v3_worker` serves ``verify-identity-v3`` with the product's own verify task, failure policy,
job ending and outcome recorder; only the provider client is a stand-in (`StandInV3`), since
VerifyMeNow has no v3 API to call.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from pyzeebe import ZeebeTaskRouter, ZeebeWorker

from workers import process
from workers.operate.deploy import BPMN_DIR
from workers.postgres.recorder import OutcomeRecorder
from workers.runtime.zeebe_connection import create_channel
from workers.settings import RecorderSettings, ZeebeSettings
from workers.tasks.job_gateway import GatewayJobEnding
from workers.tasks.verify_identity import make_verify_task, register_verify_task
from workers.verifymenow.errors import ProviderStatusError
from workers.verifymenow.request import VerificationRequest
from workers.verifymenow.result import Decision, VerificationResult

NEXT_PROCESS_ID = "identity-verification-next"


def next_model(directory: Path) -> Path:
    """Write the v2/v3 model into `directory`; returns its path."""
    text = (BPMN_DIR / process.BPMN_FILE).read_text(encoding="utf-8")
    text = text.replace("v1", "v3")
    # The gateway: v3 by condition, v2 the default (the shipped model: v2 by condition).
    text = text.replace('default="to-v3"', 'default="to-v2"')
    conditional_v2 = (
        '<bpmn:sequenceFlow id="to-v2" name="v2" sourceRef="which-version"'
        ' targetRef="verify-identity-v2">\n'
        '      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        "= useVersion = 2</bpmn:conditionExpression>\n"
        "    </bpmn:sequenceFlow>"
    )
    default_v3 = (
        '<bpmn:sequenceFlow id="to-v3" name="v3, default" sourceRef="which-version"'
        ' targetRef="verify-identity-v3" />'
    )
    assert conditional_v2 in text, "the shipped model's v2 flow changed"
    assert default_v3 in text, "the shipped model's default flow changed"
    text = text.replace(
        conditional_v2,
        '<bpmn:sequenceFlow id="to-v2" name="v2, default" sourceRef="which-version"'
        ' targetRef="verify-identity-v2" />',
    ).replace(
        default_v3,
        '<bpmn:sequenceFlow id="to-v3" name="v3" sourceRef="which-version"'
        ' targetRef="verify-identity-v3">\n'
        '      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        "= useVersion = 3</bpmn:conditionExpression>\n"
        "    </bpmn:sequenceFlow>",
    )
    for attribute in ("id", "bpmnElement"):
        text = text.replace(
            f'{attribute}="{process.PROCESS_ID}"', f'{attribute}="{NEXT_PROCESS_ID}"'
        )
    path = directory / f"{NEXT_PROCESS_ID}.bpmn"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class StandInV3:
    """VerifyMeNow v3 as the tests need it: verifies everyone, or fails every call (503)."""

    failing: bool = False
    version: int = 3

    async def verify(
        self, request: VerificationRequest, *, idempotency_key: str, deadline: float | None = None
    ) -> VerificationResult:
        del request, deadline
        if self.failing:
            msg = "VerifyMeNow v3 answered 503"
            raise ProviderStatusError(msg, version=3, status=503, retry_after=None)
        return VerificationResult(3, Decision.VERIFIED, (), f"v3-{idempotency_key[:12]}", 1.0)


@contextlib.asynccontextmanager
async def v3_worker(
    *, grpc_address: str, database_url: str, client: StandInV3
) -> AsyncIterator[OutcomeRecorder]:
    """Serve ``verify-identity-v3`` until the block ends; outcomes go through the recorder."""
    channel = create_channel(ZeebeSettings.from_env({"ZEEBE_ADDRESS": grpc_address}))
    recorder = OutcomeRecorder(
        database_url,
        settings=RecorderSettings(flush_interval=0.1),
        default_rollout=process.MODEL_ROLLOUT,
    )
    await recorder.start()
    router = ZeebeTaskRouter()
    register_verify_task(
        router,
        make_verify_task(client, version=3, sink=recorder),
        version=3,
        jobs=GatewayJobEnding(channel),
        request_timeout=2.0,
    )
    worker = ZeebeWorker(channel, name="test-worker-v3")
    worker.include_router(router)
    work = asyncio.create_task(worker.work(), name="v3-worker")
    try:
        yield recorder
    finally:
        await worker.stop()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(work, 10)
        await recorder.stop()
        await channel.close()
