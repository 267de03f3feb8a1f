"""The guarded rollout's `notify` job: POST the event to a webhook, and never fail for it.

The task header ``event`` names what happened (process.NotifyEvent); the body is
`workers.guarded.notification.event_payload`, with a Slack-compatible ``text``. Without a
webhook URL the event is only logged. A webhook that is down, slow or answers with an error is
logged as a warning and the job completes all the same: a notification must never hold up a
rollback. The URL itself is never logged (Slack's and Teams' webhook URLs are secrets).
"""

import httpx
import structlog
from pyzeebe import Job

from workers.guarded.notification import event_payload
from workers.guarded.process import EVENT_HEADER, NotifyEvent
from workers.tasks.job_context import job_fields
from workers.tasks.rollout_failures import RolloutTask

log = structlog.get_logger(__name__)


def make_notify(*, webhook_url: str | None, client: httpx.AsyncClient | None) -> RolloutTask:
    """The task function. `client` carries the timeout; it is needed when a URL is given."""
    if webhook_url and client is None:
        raise ValueError("a webhook URL needs an HTTP client")

    async def notify(job: Job, **_variables: object) -> dict[str, object]:
        event = NotifyEvent(str(job.custom_headers.get(EVENT_HEADER, "")))
        payload = event_payload(event, job.variables, process_instance_key=job.process_instance_key)
        fields = {**job_fields(job), "rollout_event": event.value, "text": payload["text"]}
        if not webhook_url or client is None:
            log.info("rollout event", **fields, delivered="log only")
            return {}
        try:
            response = await client.post(webhook_url, json=payload)
        except httpx.HTTPError as exc:
            log.warning("rollout event not delivered", **fields, error=type(exc).__name__)
            return {}
        if response.is_error:
            log.warning("rollout event not delivered", **fields, status=response.status_code)
        else:
            log.info("rollout event", **fields, delivered="webhook")
        return {}

    return notify
