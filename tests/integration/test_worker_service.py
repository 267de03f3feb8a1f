"""`canary worker` as a service: SIGTERM, gateway restarts, a missing database, its endpoints."""

import asyncio
import contextlib
import json
import os
import signal
import sys

import httpx
import psycopg
import pytest
import structlog
from pyzeebe import ZeebeClient, create_insecure_channel
from structlog.testing import capture_logs
from support.eventually import eventually
from support.flow import (
    MODEL,
    applicant,
    current_status,
    deploy_model,
    finished,
    set_rate,
    start,
    stub_in_process,
    wait_for_status,
    workers,
)
from zeebe_devengine import DevEngine

from workers.demo.stub.config import StubConfig
from workers.operate.deploy import deploy

pytestmark = [pytest.mark.postgres, pytest.mark.engine]


async def spawn_worker(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, int, bytes]:
    """Start `canary worker` on port 0; return it, the port its health server bound (read
    back from its "worker started" log line) and what it wrote to stderr until then."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        "worker",
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen = b""
    async with asyncio.timeout(30):
        while line := await process.stderr.readline():
            seen += line
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if event.get("event") == "worker started":
                    return process, int(event["http_port"]), seen
    process.kill()
    raise AssertionError(f"the worker exited before it started: {seen.decode()[-500:]}")


async def ready(port: int) -> bool:
    try:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"http://127.0.0.1:{port}/readyz", timeout=1)).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
async def slow_v1_stub():
    stub = await stub_in_process(
        StubConfig(seed=9).updated({"v1": {"latency_median_ms": 1500, "latency_p95_ms": 1500}})
    )
    yield stub
    await stub.stop()


def worker_env(zeebe_target, database_url, stub, **extra: str) -> dict[str, str]:
    return {
        "ZEEBE_ADDRESS": zeebe_target.grpc_address,
        "DATABASE_URL": database_url,
        "VERIFYMENOW_V1_URL": stub.url,
        "VERIFYMENOW_V2_URL": stub.url,
        "CANARY_HTTP_HOST": "127.0.0.1",
        "CANARY_HTTP_PORT": "0",
        "CANARY_LOG_FORMAT": "json",
        **extra,
    }


async def test_sigterm_lets_the_in_flight_job_finish_then_exits_zero(
    zeebe_target, zeebe_client, database_url, slow_v1_stub
):
    await deploy_model(zeebe_client, zeebe_target.grpc_address)
    baseline = await current_status(zeebe_target.rest_url)
    await set_rate(database_url, 0.0)
    process, port, started = await spawn_worker(
        worker_env(zeebe_target, database_url, slow_v1_stub, CANARY_SHUTDOWN_GRACE="10s")
    )
    try:
        await eventually(lambda: ready(port), timeout=30.0, what="worker ready")
        await start(zeebe_client, 1)
        await eventually(
            lambda: slow_v1_stub.provider.stats()["v1"]["calls"] == 1, timeout=30.0, what="v1 call"
        )
        process.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(process.communicate(), timeout=20)
        stderr = started + rest
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    assert b"Traceback" not in stderr
    status = await wait_for_status(
        zeebe_target.rest_url, lambda s: finished(s) == 1, timeout=5, baseline=baseline
    )
    assert status.versions[1].completed == 1  # finished during the grace period, not lost


async def test_a_job_cut_off_by_the_grace_period_is_reactivated_not_lost(
    zeebe_target, zeebe_client, database_url, slow_v1_stub
):
    await deploy_model(zeebe_client, zeebe_target.grpc_address)
    baseline = await current_status(zeebe_target.rest_url)
    await set_rate(database_url, 0.0)
    env = worker_env(
        zeebe_target,
        database_url,
        slow_v1_stub,
        CANARY_SHUTDOWN_GRACE="200ms",
        VERIFYMENOW_TIMEOUT="2s",
        CANARY_VERIFY_JOB_TIMEOUT="4s",
    )
    process, port, _ = await spawn_worker(env)
    try:
        await eventually(lambda: ready(port), timeout=30.0, what="worker ready")
        await start(zeebe_client, 1)
        await eventually(
            lambda: slow_v1_stub.provider.stats()["v1"]["calls"] == 1, timeout=30.0, what="v1 call"
        )
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    # Nobody completed the job; once its 4 s timeout passes another worker gets it.
    async with workers(
        grpc_address=zeebe_target.grpc_address,
        database_url=database_url,
        stub_url=slow_v1_stub.url,
        extra={"VERIFYMENOW_TIMEOUT": "2s", "CANARY_VERIFY_JOB_TIMEOUT": "4s"},
    ):
        status = await wait_for_status(
            zeebe_target.rest_url, lambda s: finished(s) == 1, timeout=20, baseline=baseline
        )
    assert status.versions[1].completed == 1
    (record,) = slow_v1_stub.provider.stats()["v1"]["keys"].values()
    assert record["processed"] == 1  # the retry was answered from the idempotency store


async def test_workers_survive_a_gateway_restart_and_log_the_outage_once(database_url):
    stub = await stub_in_process(StubConfig(seed=10))
    await set_rate(database_url, 0.5)
    first = DevEngine(port=0, rest_port=0)
    await first.start()
    # The gateway comes back on the port the first one bound.
    second = DevEngine(port=int(first.grpc_address.rsplit(":", 1)[1]), rest_port=0)
    try:
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            async with workers(
                grpc_address=first.grpc_address,
                database_url=database_url,
                stub_url=stub.url,
                extra={"CANARY_JOB_STREAMING": "true"},
            ) as service:
                channel = create_insecure_channel(grpc_address=first.grpc_address)
                client = ZeebeClient(channel)
                await deploy(client, [MODEL], address=first.grpc_address)
                await start(client, 5)
                assert first.rest_url is not None
                await wait_for_status(first.rest_url, lambda s: finished(s) == 5)
                await first.stop()
                await channel.close()
                await eventually(
                    lambda: not service.gateway.up, timeout=30.0, what="outage noticed"
                )
                # pyzeebe alone gives up after 10 connection errors; keep it down past that.
                adapter = service.worker.zeebe_adapter
                await eventually(
                    lambda: adapter._current_connection_retries > 10, timeout=60, what="10 errors"
                )
                # The gateway comes back (empty, as an in-memory engine does) on the same port.
                await second.start()
                channel = create_insecure_channel(grpc_address=second.grpc_address)
                client = ZeebeClient(channel)
                await deploy(client, [MODEL], address=second.grpc_address)
                await start(client, 5, first=100)
                status = await wait_for_status(
                    second.rest_url or "", lambda s: finished(s) == 5, timeout=60
                )
                await channel.close()
                outages = service.gateway.outages
    finally:
        await second.stop()
        await first.stop()
        await stub.stop()
    assert outages == 1
    assert status.versions[1].completed + status.versions[2].completed == 5
    events = [e["event"] for e in logs]
    assert events.count("zeebe gateway unreachable; reconnecting with backoff") == 1
    back = [e for e in logs if e["event"] == "zeebe gateway reachable again"]
    assert len(back) == 1
    assert back[0]["outage_seconds"] > 0


async def test_without_a_database_jobs_get_the_fallback_and_nothing_is_lost(
    zeebe_target, zeebe_client, database_url, pg_proxy
):
    proxy, proxied_url = pg_proxy
    await deploy_model(zeebe_client, zeebe_target.grpc_address)
    await set_rate(database_url, 1.0)  # would send everyone to v2, if the workers could see it
    proxy.down()
    stub = await stub_in_process(StubConfig(seed=11))
    try:
        async with workers(
            grpc_address=zeebe_target.grpc_address,
            database_url=proxied_url,
            stub_url=stub.url,
            extra={"CANARY_STARTUP_WAIT": "200ms"},
        ) as service:
            result = await zeebe_client.run_process_with_result(
                "identity-verification", variables=applicant(1), timeout=30_000
            )
            assert (result.variables["useVersion"], result.variables["canaryRule"]) == (
                1,
                "fallback",
            )
            async with httpx.AsyncClient() as http:
                readyz = await http.get(f"http://127.0.0.1:{service.health.port}/readyz")
            assert readyz.status_code == 503
            assert readyz.json()["checks"]["postgres"]["ok"] is False

            proxy.restore()
            cache = service.cache
            assert cache is not None
            await eventually(lambda: cache.health().loaded, timeout=30.0, what="config loaded")
            result = await zeebe_client.run_process_with_result(
                "identity-verification", variables=applicant(2), timeout=30_000
            )
            assert (result.variables["useVersion"], result.variables["canaryRule"]) == (2, "sticky")
            await eventually(
                lambda: service.recorder.stats().pending == 0, timeout=30.0, what="recorder drained"
            )
            stats = service.recorder.stats()
    finally:
        await stub.stop()
    assert stats.dropped == 0
    with psycopg.connect(database_url) as conn:
        rules = conn.execute("SELECT rule FROM canary.decisions ORDER BY recorded_at").fetchall()
    assert [r for (r,) in rules] == ["fallback", "sticky"]  # the outage's decision was kept


async def test_health_readiness_and_metrics_endpoints(zeebe_target, zeebe_client, database_url):
    await deploy_model(zeebe_client, zeebe_target.grpc_address)
    baseline = await current_status(zeebe_target.rest_url)
    await set_rate(database_url, 0.5)
    stub = await stub_in_process(StubConfig(seed=12))
    try:
        async with workers(
            grpc_address=zeebe_target.grpc_address, database_url=database_url, stub_url=stub.url
        ) as service:
            await start(zeebe_client, 20)
            await wait_for_status(
                zeebe_target.rest_url, lambda s: finished(s) == 20, baseline=baseline
            )
            base = f"http://127.0.0.1:{service.health.port}"
            async with httpx.AsyncClient() as http:
                healthz = await http.get(f"{base}/healthz")
                readyz = await http.get(f"{base}/readyz")
                metrics = (await http.get(f"{base}/metrics")).text
    finally:
        await stub.stop()
    assert healthz.status_code == 200
    assert readyz.status_code == 200
    assert readyz.json()["checks"]["zeebe"]["ok"] is True
    jobs = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in metrics.splitlines()
        if line.startswith("canary_jobs_total{")
    }
    verified = sum(v for k, v in jobs.items() if 'outcome="verified"' in k)
    routed = sum(v for k, v in jobs.items() if 'outcome="routed_sticky"' in k)
    assert (verified, routed) == (20, 20)
    assert 'canary_rollout_rate{rollout="verifymenow"} 0.5' in metrics
    pair = 'canary_rollout_versions_info{baseline="1",canary="2",rollout="verifymenow"} 1.0'
    assert pair in metrics
    assert "canary_degraded 0.0" in metrics
    assert "canary_postgres_reconnects_total 0.0" in metrics
    assert 'canary_job_handler_seconds_count{task_type="choose-version"} 20.0' in metrics
    assert "canary_gateway_up 1.0" in metrics
    assert "canary_recorder_written_total" in metrics
