"""Long polling and job streams: hand jobs to waiting workers the moment they exist.

An ActivateJobs call that finds nothing waits (up to its request timeout) instead of answering
empty at once; pyzeebe re-polls immediately on an empty answer and would spin a core. When a
command makes jobs activatable, the engine announces the type and the dispatcher activates
them straight into the waiting calls, in the same event-loop turn: first to open job streams
(StreamActivatedJobs, round robin), then to long polls (oldest first). Jobs activated for a
call that went away before receiving them are made activatable again at once.
"""

import asyncio
import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.state import JobActivation


@dataclass(eq=False, slots=True)
class _Poll:
    job_type: str
    worker: str
    timeout_ms: int
    max_jobs: int
    fetch: Sequence[str]
    woken: asyncio.Future[None]
    jobs: list[JobActivation] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class JobStream:
    job_type: str
    worker: str
    timeout_ms: int
    fetch: Sequence[str]
    #: Jobs pushed to the stream; None tells the stream to end (server shutdown).
    queue: asyncio.Queue[JobActivation | None] = field(default_factory=asyncio.Queue)


class JobDispatcher:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._polls: dict[str, deque[_Poll]] = {}
        self._streams: dict[str, list[JobStream]] = {}
        self._round_robin = itertools.count()
        self._closed = False
        engine.on_job_available = self._jobs_available

    @property
    def waiting(self) -> int:
        """Long polls currently waiting (for tests and diagnostics)."""
        return sum(len(polls) for polls in self._polls.values())

    async def poll(
        self,
        job_type: str,
        *,
        worker: str,
        timeout_ms: int,
        max_jobs: int,
        fetch: Sequence[str],
        request_timeout_ms: int,
    ) -> list[JobActivation]:
        """Activate up to `max_jobs` jobs, waiting up to `request_timeout_ms` for the first.

        A negative request timeout disables waiting (the answer may be empty).
        """
        jobs = self._engine.activate_jobs(
            job_type, worker=worker, timeout_ms=timeout_ms, max_jobs=max_jobs, fetch=fetch
        )
        if jobs or request_timeout_ms < 0 or self._closed:
            return jobs
        poll = _Poll(
            job_type,
            worker,
            timeout_ms,
            max_jobs,
            fetch,
            asyncio.get_running_loop().create_future(),
        )
        self._polls.setdefault(job_type, deque()).append(poll)
        try:
            # Not wait_for: it can swallow a cancellation that races with the wake-up, and
            # the jobs handed to this poll would then be lost with the departed client.
            async with asyncio.timeout(request_timeout_ms / 1000):
                await poll.woken
        except TimeoutError:
            pass
        except asyncio.CancelledError:
            self._forget(poll)
            if poll.jobs:
                self._engine.return_jobs(poll.jobs)
            raise
        self._forget(poll)
        return poll.jobs

    def _forget(self, poll: _Poll) -> None:
        polls = self._polls.get(poll.job_type)
        if polls is None:
            return
        try:
            polls.remove(poll)
        except ValueError:
            return
        if not polls:
            del self._polls[poll.job_type]

    def open_stream(
        self, job_type: str, *, worker: str, timeout_ms: int, fetch: Sequence[str]
    ) -> JobStream:
        stream = JobStream(job_type, worker, timeout_ms, fetch)
        if self._closed:
            stream.queue.put_nowait(None)
        else:
            self._streams.setdefault(job_type, []).append(stream)
        return stream

    def close_stream(self, stream: JobStream, undelivered: Sequence[JobActivation] = ()) -> None:
        streams = self._streams.get(stream.job_type, [])
        if stream in streams:
            streams.remove(stream)
            if not streams:
                del self._streams[stream.job_type]
        pending = list(undelivered)
        while not stream.queue.empty():
            item = stream.queue.get_nowait()
            if item is not None:
                pending.append(item)
        if pending and not self._closed:
            self._engine.return_jobs(pending)

    def _jobs_available(self, job_type: str) -> None:
        streams = self._streams.get(job_type)
        while streams:
            stream = streams[next(self._round_robin) % len(streams)]
            jobs = self._engine.activate_jobs(
                job_type,
                worker=stream.worker,
                timeout_ms=stream.timeout_ms,
                max_jobs=1,
                fetch=stream.fetch,
            )
            if not jobs:
                return
            stream.queue.put_nowait(jobs[0])
        polls = self._polls.get(job_type)
        while polls:
            poll = polls[0]
            jobs = self._engine.activate_jobs(
                job_type,
                worker=poll.worker,
                timeout_ms=poll.timeout_ms,
                max_jobs=poll.max_jobs - len(poll.jobs),
                fetch=poll.fetch,
            )
            if not jobs:
                return
            poll.jobs.extend(jobs)
            if not poll.woken.done():
                poll.woken.set_result(None)
            if len(poll.jobs) >= poll.max_jobs:
                polls.popleft()
                if not polls:
                    del self._polls[job_type]

    def close(self) -> None:
        """Answer every waiting poll now and end every stream (server shutdown)."""
        self._closed = True
        for polls in self._polls.values():
            for poll in polls:
                if not poll.woken.done():
                    poll.woken.set_result(None)
        for streams in self._streams.values():
            for stream in streams:
                stream.queue.put_nowait(None)
        self._streams.clear()
