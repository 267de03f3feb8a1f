"""Issue 4 benchmarks: the VerifyMeNow stand-in and a verify job's own cost.

    .venv/bin/python bench/verifymenow_stub.py [--requests 3000]

1. The stand-in's request logic alone (validation, idempotency record, draw), no HTTP.
2. One verify-identity-v2 job, task function -> real client -> stand-in over loopback HTTP,
   all in one event loop as in the demo: per-job time and jobs per second, one at a time and
   32 at a time (the worker's default concurrency).
"""

import argparse
import asyncio
import json
import time

from bench_support import report, summary, verify_job

from workers.demo.stub.config import StubConfig
from workers.demo.stub.provider import StandInProvider
from workers.demo.stub.server import VerifyMeNowStub
from workers.tasks.verify_identity import make_verify_task
from workers.verifymenow.v2 import VerifyMeNowV2

VARIABLES = {
    "applicantId": "A-1001",
    "applicant": {"givenName": "Ada", "familyName": "Lovelace", "dateOfBirth": "1990-04-01"},
    "document": {"type": "passport", "number": "X1234567", "country": "GB"},
}
V2_BODY = json.dumps(
    {
        "subject": {
            "reference": "A-1001",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "date_of_birth": "1990-04-01",
        },
        "document": {"type": "passport", "number": "X1234567", "issuing_country": "GB"},
    }
).encode()


async def provider_logic(n: int) -> None:
    provider = StandInProvider(StubConfig(seed=1))
    started = time.perf_counter()
    for i in range(n):
        await provider.verify(2, {"Idempotency-Key": f"k{i}"}, V2_BODY)
    micros = (time.perf_counter() - started) / n * 1e6
    report("stand-in request logic (no HTTP), per request", f"{micros:.1f} us")


async def jobs_over_http(n: int) -> None:
    async with (
        VerifyMeNowStub(StubConfig(seed=1)) as stub,
        VerifyMeNowV2(base_url=stub.url, timeout=5.0) as client,
    ):
        task = make_verify_task(client, version=2)
        await task(verify_job(0, variables=VARIABLES))  # open the connection
        durations = []
        started = time.perf_counter()
        for i in range(1, n + 1):
            t = time.perf_counter()
            await task(verify_job(i, variables=VARIABLES))
            durations.append((time.perf_counter() - t) * 1000)
        elapsed = time.perf_counter() - started
        report("verify job + client + stand-in, one at a time (ms)", summary(durations))
        report("  jobs per second, one at a time", f"{n / elapsed:.0f}")

        started = time.perf_counter()
        pending = iter(range(n + 1, 2 * n + 1))

        async def lane() -> None:
            for i in pending:
                await task(verify_job(i, variables=VARIABLES))

        await asyncio.gather(*(lane() for _ in range(32)))
        report("  jobs per second, 32 at a time", f"{n / (time.perf_counter() - started):.0f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    await provider_logic(args.requests)
    await jobs_over_http(args.requests)


if __name__ == "__main__":
    asyncio.run(main())
