"""Issue 3 benchmark: memory after many completed instances, and the engine's own speed.

    .venv/bin/python bench/devengine_memory.py [--instances 50000] [--retain 10000]

Goal: RSS <= 200 MB after 50 000 completed instances. The dev engine runs (gRPC and REST
served, so their libraries are loaded) and instances of our identity-verification process
are driven through the engine's API directly (choose-version, then verify v1 or v2), each
with a few small variables and a 2 kB document, as the workers would leave them. Finished
instances beyond `--retain` are pruned to counters.

Prints RSS before and after, what the engine holds, and instances per second through the
engine alone (no gRPC): the ceiling the network path works under.
"""

import argparse
import asyncio
import gc
import resource
import time
from pathlib import Path

from zeebe_devengine import DevEngine

IDENTITY_BPMN = Path(__file__).resolve().parents[1] / "bpmn" / "identity-verification.bpmn"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=50_000)
    parser.add_argument("--retain", type=int, default=10_000)
    args = parser.parse_args()
    async with DevEngine(port=0, rest_port=0, retained_finished=args.retain) as dev:
        engine = dev.engine
        engine.deploy([(IDENTITY_BPMN.name, IDENTITY_BPMN.read_bytes())])
        gc.collect()
        before = rss_mb()
        start = time.perf_counter()
        for i in range(args.instances):
            engine.create_instance(
                bpmn_process_id="identity-verification",
                variables={"applicantId": f"applicant-{i}", "document": f"{i:08d}" + "x" * 2040},
            )
            [choose] = engine.activate_jobs(
                "choose-version", worker="bench", timeout_ms=60_000, max_jobs=1, fetch=[]
            )
            version = 1 + i % 2
            engine.complete_job(
                choose.key, {"useVersion": version, "canaryBucket": i % 10_000, "canaryRate": 0.5}
            )
            [verify] = engine.activate_jobs(
                f"verify-identity-v{version}",
                worker="bench",
                timeout_ms=60_000,
                max_jobs=1,
                fetch=[],
            )
            engine.complete_job(verify.key, {"verified": True, "providerReference": f"r{i}"})
            if i % 1000 == 0:
                await asyncio.sleep(0)  # let timers and the servers breathe
        elapsed = time.perf_counter() - start
        gc.collect()
        after = rss_mb()
        [definition] = engine.definitions.values()
        archived = sum(counts.instances for counts in definition.archived.values())
        print(f"{args.instances} identity-verification instances completed, retain {args.retain}")
        print(f"engine alone: {args.instances / elapsed:,.0f} instances/s (3 jobs each, no gRPC)")
        print(f"RSS before: {before:6.1f} MB   after: {after:6.1f} MB   peak: {peak_mb():6.1f} MB")
        print(
            f"held in full: {len(engine.instances)} instances, {len(engine.incidents)} incidents; "
            f"pruned into counters: {archived} instances, "
            f"counters kept for {sorted(definition.archived_by_variable)}"
        )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    asyncio.run(main())
