"""`canary worker` in a process of its own with one async method turned into a bug.

    python tests/broken_worker.py workers.postgres.recorder.OutcomeRecorder._run [worker args]

The named method waits a moment, then raises ``RuntimeError("a bug")``, as a defect in that
task would; everything else is the real command (`workers.cli.main`). For fault tests that
need a background task to die, which no outside fault makes it do any more.
"""

import asyncio
import sys
from unittest import mock

from workers.cli import main as canary


async def _a_bug(*_: object) -> None:
    await asyncio.sleep(0.2)
    msg = "a bug"
    raise RuntimeError(msg)


def main() -> int:
    target, *arguments = sys.argv[1:]
    with mock.patch(target, _a_bug):
        return canary(["worker", *arguments])


if __name__ == "__main__":
    sys.exit(main())
