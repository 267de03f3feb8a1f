"""The `notify` job against a real local HTTP server: delivered, and never failing the job."""

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from rollout_jobs import Webhook, in_step, rollout_job, started_variables, webhook_receiver
from structlog.testing import capture_logs

from workers.guarded.process import Element, Variable
from workers.tasks.rollout_notify import make_notify

STEP_1 = in_step(started_variables(steps="5%"), 1)


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    async with webhook_receiver() as hook:
        yield hook


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as http:
        yield http


async def test_the_event_is_posted_as_json_with_a_slack_text(webhook, client):
    notify = make_notify(webhook_url=webhook.url, client=client)
    result = await notify(rollout_job(Element.NOTIFY_STEP, STEP_1))
    assert result == {}
    [body] = webhook.received
    assert body["text"] == "Guarded rollout verifymenow: step 1 of 2 (5%) begins"
    assert body["event"] == "step"
    assert body["rollout"] == "verifymenow"


@pytest.mark.parametrize("status", [404, 500, 503])
async def test_a_webhook_answering_an_error_does_not_fail_the_job(webhook, client, status):
    webhook.status = status
    with capture_logs() as logs:
        result = await make_notify(webhook_url=webhook.url, client=client)(
            rollout_job(Element.NOTIFY_ROLLED_BACK, STEP_1)
        )
    assert result == {}
    [warning] = [e for e in logs if e["log_level"] == "warning"]
    assert warning["event"] == "rollout event not delivered"
    assert warning["status"] == status
    assert "secret-token" not in repr(logs)  # webhook URLs are secrets


async def test_a_webhook_that_hangs_times_out_and_the_job_completes(webhook, client):
    webhook.hang = True
    with capture_logs() as logs:
        result = await make_notify(webhook_url=webhook.url, client=client)(
            rollout_job(Element.NOTIFY_HOLD, STEP_1)
        )
    assert result == {}
    assert [e["error"] for e in logs if e["log_level"] == "warning"] == ["ReadTimeout"]


async def test_an_unreachable_webhook_does_not_fail_the_job(client):
    with socket.socket() as held:  # bound, never listening, held: connections are refused
        held.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{held.getsockname()[1]}/hook"
        with capture_logs() as logs:
            result = await make_notify(webhook_url=url, client=client)(
                rollout_job(Element.NOTIFY_PAUSED, STEP_1)
            )
    assert result == {}
    assert [e["error"] for e in logs if e["log_level"] == "warning"] == ["ConnectError"]


async def test_without_a_url_the_event_is_only_logged():
    variables = STEP_1 | {Variable.ABORT_REASON: "release cancelled"}
    with capture_logs() as logs:
        result = await make_notify(webhook_url=None, client=None)(
            rollout_job(Element.NOTIFY_ABORTED, variables)
        )
    assert result == {}
    [line] = logs
    assert line["delivered"] == "log only"
    assert line["text"] == "Guarded rollout verifymenow aborted, rate 0%: release cancelled"
