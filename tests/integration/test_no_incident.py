"""Issue 16, items 4 and 5: slow providers and shutdowns make no incidents.

Both repros from the issue, with a real `canary worker` process against the dev engine and the
stand-in:

- item 4: the provider takes 4 s, the grace is 1 s, SIGTERM arrives with jobs in flight. The
  worker must send no FailJob and record no outcome for them; another worker picks them up
  after their job timeout, the provider answers that retry from its idempotency store, and no
  instance ends in an incident;
- item 5: v2 takes 8 s, the request timeout is 5 s. Before, three attempts spanned about 3 s
  and ended in an incident "HTTP 409 (attempt 3 of 3)". Now the retry after the timeout waits
  at least as long as the provider already had the request (5 s), and gets the stored answer.
  A provider slower still (8 s against a 3 s timeout) is met by the retry while still at work:
  409 with Retry-After, the same idempotency key, waited out within the job's deadline
  instead of failing; the provider then replays its decision.
"""

from typing import Any

import psycopg
import pytest
from support.flow import (
    deployed_at_rate,
    finished,
    start,
    stub_in_process,
    wait_for_status,
    worker_environ,
    workers,
)
from worker_process import WorkerProcess

from workers.demo.stub.config import StubConfig
from workers.demo.stub.server import VerifyMeNowStub
from workers.operate.status import Status

pytestmark = [pytest.mark.postgres, pytest.mark.engine]

#: Instances in flight at SIGTERM (item 4) and behind the slow provider (item 5).
AT_SIGTERM, SLOW = 20, 3
TIMEOUTS = {"VERIFYMENOW_TIMEOUT": "5s", "CANARY_VERIFY_JOB_TIMEOUT": "10s"}


async def slow_provider(
    zeebe_target: Any, zeebe_client: Any, database_url: str, *, rate: float, **latency_ms: int
) -> tuple[VerifyMeNowStub, Status, dict[str, str]]:
    """The stand-in answering after `latency_ms` per version, the model deployed, the rate
    set; returns the stub, the status baseline and the worker's environment."""
    changes = {v: {"latency_median_ms": ms, "latency_p95_ms": ms} for v, ms in latency_ms.items()}
    stub = await stub_in_process(StubConfig(seed=4).updated(changes))
    baseline = await deployed_at_rate(zeebe_target, zeebe_client, database_url, rate=rate)
    env = worker_environ(
        grpc_address=zeebe_target.grpc_address, database_url=database_url, stub_url=stub.url
    )
    return stub, baseline, env


async def run_slow_batch(
    zeebe_client: Any, rest_url: str, env: dict[str, str], baseline: Status
) -> tuple[Status, WorkerProcess]:
    """One worker process through `SLOW` instances to their end; its status and log lines."""
    async with WorkerProcess(env=env) as worker:
        await worker.wait_for(lambda: worker.events("worker started"))
        await start(zeebe_client, SLOW)
        status = await wait_for_status(
            rest_url, lambda s: finished(s) == SLOW, timeout=60, baseline=baseline
        )
        assert await worker.stop() == 0
    return status, worker


def processed_once(stub: VerifyMeNowStub) -> None:
    """Every key was verified once; retries were answered from the idempotency store."""
    for version in ("v1", "v2"):
        for record in stub.provider.stats()[version]["keys"].values():
            assert record["processed"] == 1


async def test_sigterm_after_the_grace_leaves_running_jobs_for_zeebe_and_makes_no_incident(
    zeebe_target, zeebe_client, database_url
):
    stub, baseline, env = await slow_provider(
        zeebe_target, zeebe_client, database_url, rate=0.5, v1=4000, v2=4000
    )
    env |= {"CANARY_SHUTDOWN_GRACE": "1s", **TIMEOUTS}

    def provider_calls() -> int:
        stats = stub.provider.stats()
        return int(stats["v1"]["calls"] + stats["v2"]["calls"])

    try:
        async with WorkerProcess(env=env) as worker:
            await worker.wait_for(lambda: worker.events("worker started"))
            await start(zeebe_client, AT_SIGTERM)
            await worker.wait_for(lambda: provider_calls() == AT_SIGTERM)
            assert await worker.stop() == 0
        [abandoned] = worker.events(
            "grace period over; running jobs left untouched for Zeebe to hand out again"
            " after their job timeout"
        )
        assert abandoned["abandoned_jobs"] == AT_SIGTERM
        assert worker.events("verification failed") == []
        assert worker.events("verification failed unexpectedly") == []
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            cur = await conn.execute("SELECT count(*) FROM canary.outcomes")
            assert await cur.fetchone() == (0,)  # nothing recorded for abandoned jobs

        async with workers(
            grpc_address=zeebe_target.grpc_address,
            database_url=database_url,
            stub_url=stub.url,
            extra=TIMEOUTS,
        ):
            status = await wait_for_status(
                zeebe_target.rest_url,
                lambda s: finished(s) == AT_SIGTERM,
                timeout=60,
                baseline=baseline,
            )
    finally:
        await stub.stop()
    assert sum(v.incidents for v in status.versions.values()) == 0
    assert (
        sum(v.completed + v.rejected + v.unreadable for v in status.versions.values()) == AT_SIGTERM
    )
    processed_once(stub)


async def test_a_provider_still_at_work_when_the_retry_comes_is_waited_out_not_an_incident(
    zeebe_target, zeebe_client, database_url
):
    """8 s provider, 3 s timeout: the retry 3 s after the timeout meets the request (409)."""
    stub, baseline, env = await slow_provider(
        zeebe_target, zeebe_client, database_url, rate=1.0, v2=8000
    )
    env["VERIFYMENOW_TIMEOUT"] = "3s"
    try:
        status, worker = await run_slow_batch(zeebe_client, zeebe_target.rest_url, env, baseline)
    finally:
        await stub.stop()
    assert status.versions[2].incidents == 0
    assert status.versions[2].completed + status.versions[2].rejected == SLOW
    waits = worker.events("provider still processing this request; asking again after it")
    assert len(waits) == SLOW  # one line per job, not one per 409
    stats = stub.provider.stats()["v2"]
    assert stats["conflicts"] >= SLOW
    processed_once(stub)


async def test_after_a_timeout_the_retry_waits_as_long_as_the_provider_had_the_request(
    zeebe_target, zeebe_client, database_url
):
    """The issue's repro, 8 s provider and 5 s timeout: the FailJob after the timeout sets a
    retry backoff of at least those 5 s (before: 0.2-1 s, so the retry met the first request
    still running, and so did the third). The retry then finds the answer stored."""
    stub, baseline, env = await slow_provider(
        zeebe_target, zeebe_client, database_url, rate=1.0, v2=8000
    )
    env |= TIMEOUTS
    try:
        status, worker = await run_slow_batch(zeebe_client, zeebe_target.rest_url, env, baseline)
    finally:
        await stub.stop()
    failed = worker.events("verification failed")
    assert len(failed) == SLOW  # the timeout, once per job; the retry does not fail
    for line in failed:
        assert line["failure"] == "VerifyMeNow v2 did not answer within 5 s (attempt 1 of 3)"
        assert line["backoff_ms"] >= 5000
    assert status.versions[2].incidents == 0
    assert status.versions[2].completed + status.versions[2].rejected == SLOW
    assert stub.provider.stats()["v2"]["conflicts"] == 0  # no retry met the running request
    processed_once(stub)
