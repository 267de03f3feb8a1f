"""Issue 16 fault suite: load through a real worker while one thing goes wrong; count the damage.

    .venv/bin/python bench/fault_suite.py [--instances 300] [--per-second 10] [--only NAME]

Every scenario gets its own `canary dev-engine`, its own scratch database behind a fault proxy,
the gateway behind another, the VerifyMeNow stand-in in this process and one `canary worker`
(all tasks) in a subprocess. Instances are started at `--per-second`; a few seconds in, the
scenario's fault is applied (and lifted); then the suite waits until every instance has ended
or nothing moved for a minute. Counted per scenario:

- started, ended (completed, rejected or unreadable: the process's normal ends), incidents
  split into those the provider caused (an incident message about VerifyMeNow's answers)
  and all others, lost (started, neither ended nor in an incident);
- duplicate provider calls: requests the stand-in processed again under a key it had already
  processed (a replayed answer is not a duplicate);
- records dropped: routing decisions and final outcomes missing from Postgres for instances
  that ended (the SIGKILL scenario may lose up to one recorder flush interval).

The table printed at the end is the one in docs/reliability.md.
"""

import argparse
import asyncio
import contextlib
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import psycopg
from bench_support import engine_process, scratch_database, start_worker
from psycopg.conninfo import conninfo_to_dict
from pyzeebe import ZeebeClient, create_insecure_channel
from support.fault_proxy import FaultProxy

from workers.demo.stub.config import StubConfig, VersionBehaviour
from workers.demo.stub.server import VerifyMeNowStub
from workers.operate.camunda_rest import CamundaRestClient
from workers.operate.deploy import BPMN_DIR, deploy
from workers.operate.load import synthetic_applicant
from workers.operate.status import collect_status
from workers.postgres import rollout_store
from workers.settings import CamundaRestSettings

MODEL = BPMN_DIR / "identity-verification.bpmn"
BASE_ENV = {
    "VERIFYMENOW_TIMEOUT": "2s",
    "CANARY_VERIFY_JOB_TIMEOUT": "8s",
    "CANARY_SHUTDOWN_GRACE": "5s",
    "CANARY_LOG_FORMAT": "json",
}


@dataclass
class Stack:
    """What a scenario's fault may act on."""

    database_url: str
    pg: FaultProxy
    gateway: FaultProxy
    stub: VerifyMeNowStub
    env: dict[str, str]
    workers: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def spawn_worker(self) -> asyncio.subprocess.Process:
        process = await start_worker(env=self.env, probe="/healthz", timeout=120)
        self.workers.append(process)
        return process

    async def set_rate(self, rate: float) -> None:
        async with await psycopg.AsyncConnection.connect(self.database_url, autocommit=True) as c:
            await rollout_store.set_rate(c, "verifymenow", rate=rate, actor="bench", reason="bench")


Fault = Callable[[Stack], Awaitable[None]]


#: Every scenario's stand-in draws from the same seed, so runs are comparable.
_SEED = 16


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Fault
    #: The stand-in's own configuration type, so a scenario is checked as the stand-in is.
    stub: StubConfig = field(default_factory=lambda: StubConfig(seed=_SEED))
    env: dict[str, str] = field(default_factory=dict)


async def _nothing(_stack: Stack) -> None:
    return None


async def _postgres_refused(stack: Stack) -> None:
    stack.pg.down()
    await asyncio.sleep(30)
    stack.pg.restore()


async def _postgres_hung(stack: Stack) -> None:
    stack.pg.hang()
    await asyncio.sleep(30)
    stack.pg.restore()
    stack.pg.cut()  # the connections that hung are dropped; clients reconnect


async def _gateway_cut(stack: Stack) -> None:
    stack.gateway.down()
    await asyncio.sleep(20)
    stack.gateway.restore()


async def _worker_killed(stack: Stack) -> None:
    stack.workers[0].send_signal(signal.SIGKILL)
    await stack.workers[0].wait()
    await stack.spawn_worker()  # the orchestrator's replacement


async def _sigterm_beyond_grace(stack: Stack) -> None:
    stack.workers[0].send_signal(signal.SIGTERM)
    await stack.workers[0].wait()
    await stack.spawn_worker()


async def _rate_flips(stack: Stack) -> None:
    rng = random.Random(16)
    for _ in range(15):
        await stack.set_rate(rng.choice((0.0, 0.1, 0.5, 0.9, 1.0)))
        await asyncio.sleep(2)
    await stack.set_rate(0.5)


def _slow(ms: int) -> VersionBehaviour:
    return VersionBehaviour(latency_median_ms=ms, latency_p95_ms=ms)


def _v2(behaviour: VersionBehaviour) -> StubConfig:
    return StubConfig(v2=behaviour, seed=_SEED)


SCENARIOS = (
    Scenario("no fault", _nothing),
    Scenario("Postgres refused for 30 s", _postgres_refused),
    Scenario("Postgres hung for 30 s", _postgres_hung),
    Scenario("gateway cut for 20 s", _gateway_cut),
    Scenario("worker killed (SIGKILL) with jobs in flight", _worker_killed),
    Scenario(
        "SIGTERM with jobs longer than the grace",
        _sigterm_beyond_grace,
        stub=StubConfig(v1=_slow(4000), v2=_slow(4000), seed=_SEED),
        env={
            "VERIFYMENOW_TIMEOUT": "5s",
            "CANARY_VERIFY_JOB_TIMEOUT": "10s",
            "CANARY_SHUTDOWN_GRACE": "1s",
        },
    ),
    Scenario("v2 answers 503 (30 %)", _nothing, stub=_v2(VersionBehaviour(error_rate=0.3))),
    Scenario(
        "v2 times out (p95 4 s, timeout 2 s)",
        _nothing,
        stub=_v2(VersionBehaviour(latency_median_ms=1000, latency_p95_ms=4000)),
    ),
    Scenario("v2 sends garbage (20 %)", _nothing, stub=_v2(VersionBehaviour(malformed_rate=0.2))),
    Scenario("rate flips under load (every 2 s)", _rate_flips),
)


@dataclass
class Row:
    name: str
    started: int = 0
    ended: int = 0
    incidents_provider: int = 0
    incidents_other: int = 0
    lost: int = 0
    duplicate_calls: int = 0
    records_dropped: int = 0
    seconds: float = 0.0


def _proxy_url(database_url: str, port: int) -> str:
    params = conninfo_to_dict(database_url)
    user = params.get("user") or "postgres"
    return f"postgresql://{user}@127.0.0.1:{port}/{params['dbname']}"


async def _start_load(client: ZeebeClient, count: int, per_second: float) -> int:
    rng = random.Random(7)
    started = 0
    for number in range(count):
        with contextlib.suppress(Exception):
            await client.run_process(
                "identity-verification",
                variables=synthetic_applicant(rng, number, prefix="F"),
            )
            started += 1
        await asyncio.sleep(1 / per_second)
    return started


async def _settle(rest: CamundaRestClient, started: int, *, idle: float = 60.0) -> Any:
    """Wait until every instance ended or nothing moved for `idle` seconds."""
    last, last_change = -1, time.monotonic()
    while True:
        status = await collect_status(rest, rollout="verifymenow", rate=0.0, strategy="sticky")
        done = sum(
            v.completed + v.rejected + v.unreadable + v.incidents for v in status.versions.values()
        )
        if done >= started:
            return status
        if done != last:
            last, last_change = done, time.monotonic()
        elif time.monotonic() - last_change > idle:
            return status
        await asyncio.sleep(1)


async def _records_dropped(database_url: str, ended_by_version: dict[int, int]) -> int:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(
            "SELECT count(DISTINCT process_instance_key) FROM canary.decisions"
        )
        decisions = (await cur.fetchone() or (0,))[0]
        cur = await conn.execute(
            "SELECT count(DISTINCT process_instance_key) FROM canary.outcomes"
            " WHERE outcome IN ('verified', 'rejected', 'unreadable')"
        )
        outcomes = (await cur.fetchone() or (0,))[0]
    ended = sum(ended_by_version.values())
    return int(max(ended - decisions, 0) + max(ended - outcomes, 0))


async def run(scenario: Scenario, *, instances: int, per_second: float) -> Row:
    row = Row(scenario.name)
    began = time.monotonic()
    async with (
        scratch_database() as database_url,
        engine_process(10 * instances) as (
            address,
            rest_url,
        ),
    ):
        params = conninfo_to_dict(database_url)
        pg = await FaultProxy(
            str(params.get("host") or "127.0.0.1"), int(params.get("port") or 5432)
        ).start()
        host, port = address.rsplit(":", 1)
        gateway = await FaultProxy(host, int(port)).start()
        stub = VerifyMeNowStub(scenario.stub, host="127.0.0.1", port=0)
        await stub.start()
        env = {
            **BASE_ENV,
            "ZEEBE_ADDRESS": f"127.0.0.1:{gateway.port}",
            "DATABASE_URL": _proxy_url(database_url, pg.port),
            "VERIFYMENOW_V1_URL": stub.url,
            "VERIFYMENOW_V2_URL": stub.url,
            **scenario.env,
        }
        stack = Stack(database_url, pg, gateway, stub, env)
        channel = create_insecure_channel(grpc_address=address)
        client = ZeebeClient(channel)
        rest = CamundaRestClient(CamundaRestSettings.from_env({"CAMUNDA_REST_ADDRESS": rest_url}))
        try:
            await deploy(client, [MODEL], address=address)
            await stack.set_rate(0.5)
            await stack.spawn_worker()
            load = asyncio.create_task(_start_load(client, instances, per_second))
            await asyncio.sleep(8)
            await scenario.fault(stack)
            row.started = await load
            status = await _settle(rest, row.started)
            ended = {v: s.completed + s.rejected + s.unreadable for v, s in status.versions.items()}
            row.ended = sum(ended.values())
            incidents, total = await rest.incidents("identity-verification", limit=1000)
            provider = sum(i.error_message.startswith("VerifyMeNow v") for i in incidents)
            row.incidents_provider = provider
            row.incidents_other = total - provider
            row.lost = row.started - row.ended - total
            stats = stub.provider.stats()
            row.duplicate_calls = sum(
                max(record["processed"] - 1, 0)
                for version in ("v1", "v2")
                for record in stats[version]["keys"].values()
            )
            for process in stack.workers:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await process.wait()
            row.records_dropped = await _records_dropped(database_url, ended)
        finally:
            for process in stack.workers:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            await rest.aclose()
            await channel.close()
            await stub.stop()
            await gateway.stop()
            await pg.stop()
    row.seconds = time.monotonic() - began
    return row


def table(rows: list[Row]) -> str:
    lines = [
        (
            "| scenario | started | ended | incidents (provider) | incidents (other) | lost"
            " | duplicate provider calls | records dropped |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.name} | {r.started} | {r.ended} | {r.incidents_provider} | {r.incidents_other}"
        f" | {r.lost} | {r.duplicate_calls} | {r.records_dropped} |"
        for r in rows
    ]
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--per-second", type=float, default=10.0)
    parser.add_argument(
        "--only", help="comma-separated: run only the scenarios whose names contain one of these"
    )
    args = parser.parse_args()
    rows = []
    for scenario in SCENARIOS:
        wanted = [w.strip().lower() for w in (args.only or "").split(",") if w.strip()]
        if wanted and not any(w in scenario.name.lower() for w in wanted):
            continue
        row = await run(scenario, instances=args.instances, per_second=args.per_second)
        print(f"{row.name}: {row}", flush=True)
        rows.append(row)
    print()
    print(table(rows))


if __name__ == "__main__":
    asyncio.run(main())
