"""Issue 16, item 8: a gzip bomb from the provider no longer inflates the worker.

    .venv/bin/python bench/provider_body_limit.py [--megabytes 200]

A local HTTP server answers the v2 call with a gzip body that expands to `--megabytes` of
zeros. The v2 client reads it (and refuses it as malformed once past its 1 MiB limit) in a
subprocess whose peak RSS is reported, next to that of the same subprocess reading a normal
answer. Before the limit, a 200 MB bomb took a worker from 92 to 761 MB.
"""

import argparse
import asyncio
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from aiohttp import web
from bench_support import report

CLIENT = """
import asyncio, datetime, sys
from workers.verifymenow.v2 import VerifyMeNowV2
from workers.verifymenow.request import DocumentType, VerificationRequest
from workers.verifymenow.errors import MalformedResponseError

async def main():
    request = VerificationRequest("A-1", "Ada", "Lovelace", datetime.date(1990, 1, 1),
        DocumentType.PASSPORT, "X1", "GB", None)
    async with VerifyMeNowV2(base_url=sys.argv[1], timeout=60) as client:
        try:
            await client.verify(request, idempotency_key="k")
            print("accepted")
        except MalformedResponseError as exc:
            print("refused:", exc)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("peak_mb", int(line.split()[1]) / 1024)

asyncio.run(main())
"""


async def measure(url: str) -> tuple[str, float]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENT, url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    lines = out.decode().splitlines()
    return lines[0], float(lines[-1].split()[1])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
    bomb = gzip.compress(b"0" * (args.megabytes << 20), compresslevel=9)
    normal = json.dumps({"id": "ver_1", "decision": "approved", "reasons": []}).encode()

    async def answer(request: web.Request) -> web.Response:
        body = bomb if request.match_info["kind"] == "bomb" else normal
        headers = {"Content-Encoding": "gzip"} if body is bomb else {}
        return web.Response(body=body, status=201, content_type="application/json", headers=headers)

    app = web.Application()
    app.router.add_post("/{kind}/v2/verifications", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        outcome, normal_mb = await measure(f"http://127.0.0.1:{port}/normal")
        report("normal answer: peak RSS of the client process", f"{normal_mb:.0f} MB ({outcome})")
        outcome, bomb_mb = await measure(f"http://127.0.0.1:{port}/bomb")
        report(
            f"{args.megabytes} MB gzip bomb ({len(bomb) >> 10} KB on the wire): peak RSS",
            f"{bomb_mb:.0f} MB ({outcome})",
            goal="within a few MB of the normal answer",
        )
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
