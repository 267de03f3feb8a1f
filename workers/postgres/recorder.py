"""The outcome recorder: routing decisions and verification outcomes into Postgres, off the job.

`record_decision` and `record_outcome` run on the job's path, so they only check the values,
append a tuple to a bounded in-memory buffer and return (about a microsecond; see
bench/recorder_throughput.py). A background task writes the buffer in batches: one transaction,
one binary COPY per table (a third of the client CPU of a text COPY and less parsing in
Postgres, measured). Nothing on the job's path waits for Postgres or raises; the values are
checked against the column types there, because a binary COPY would wrap an int4 silently.

When Postgres is down the failed batch goes back to the head of the buffer and is retried with
backoff while new records keep arriving. Once the buffer is full, new records are dropped and
counted: at any moment ``written + dropped + pending == recorded`` (see `RecorderStats`). The
outage is logged once when it starts and once, with its duration, when it ends. Dropping is
an episode of its own, because a write that hangs (rather than fails) fills the buffer with no
outage noticed yet: the first drop is logged, and the end of the episode with how many were
dropped in it. /readyz turns red while the buffer is full or a write has hung
(`RecorderStats.full`, `RecorderStats.writing_seconds`). Delivery is at-least-once: a batch
whose COMMIT succeeded but whose answer was lost is written again.

Two batches are written at once, each over a connection of its own: while Postgres counts one
batch and waits for its COMMIT to reach the disk (6-9 ms on our shared machine), the next is
already being copied in. Commits stay durable: a row counted as written survives a crash of
Postgres. A batch is taken off the buffer while it is written and put back at its head if the
write fails, so the accounting above counts it as pending throughout.

Stopping writes what it can within a deadline and reports what is left.
"""

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import psycopg
import structlog
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from pyzeebe import Job

from workers import process
from workers.backoff import Backoff
from workers.errors import DatabaseUnavailableError
from workers.outage import OutageTracker
from workers.postgres.connection import connect, error_without_values, first_line
from workers.postgres.outcomes import Outcome
from workers.routing import MAX_VERSION, Decision
from workers.settings import RecorderSettings

log = structlog.get_logger(__name__)

#: Task header naming the rollout a job belongs to (the same header choose-version reads).
_MAX_ERROR_CODE: Final = 200
#: A write that takes longer is abandoned and retried (a silent network, not a slow COPY).
WRITE_TIMEOUT: Final = 30.0

#: The kinds of record the buffer holds, each row tagged with its kind.
DECISION: Final = 0
OUTCOME: Final = 1
_COPY_DECISIONS: Final = (
    "COPY canary.decisions (recorded_at, rollout, process_instance_key, job_key, version, rule,"
    " bucket, rate) FROM STDIN (FORMAT BINARY)"
)
_DECISION_TYPES: Final = ("timestamptz", "text", "int8", "int8", "int2", "text", "float8", "float8")
_COPY_OUTCOMES: Final = (
    "COPY canary.outcomes (recorded_at, rollout, process_instance_key, job_key, version,"
    " outcome, latency_ms, error_code, retries) FROM STDIN (FORMAT BINARY)"
)
_OUTCOME_TYPES: Final = (
    "timestamptz", "text", "int8", "int8", "int2", "text", "float8", "text", "int4"
)  # fmt: skip
#: Each kind of record with the COPY it is written by and its columns' types, decisions first
#: (bench/recorder_cost.py measures with the same statements).
COPIES: Final = (
    (DECISION, _COPY_DECISIONS, _DECISION_TYPES),
    (OUTCOME, _COPY_OUTCOMES, _OUTCOME_TYPES),
)
_OUTCOME_VALUES: Final = frozenset(o.value for o in Outcome)
_INT8: Final = 2**63
_INT4: Final = 2**31
#: Rows formatted between two yields to the event loop: a 20 000-row batch would otherwise hold
#: it for several milliseconds, and the loop also runs the jobs.
_ROWS_PER_YIELD: Final = 500
#: Batches written at once, a connection each. With one, Postgres waited for the client while
#: the client waited for Postgres's counting and COMMIT (see docs/benchmarks.md).
WRITERS: Final = 2
#: What formatting a row can raise when a value does not fit its column (the job path's checks
#: should make it impossible); such a batch is refused like one Postgres refused.
_UNFIT: Final = (OverflowError, ValueError, TypeError, UnicodeError)

Row = tuple[int, tuple[Any, ...]]


def _fits(value: object, bound: int) -> bool:
    """`value` is an int the column holds: -bound <= value < bound."""
    return isinstance(value, int) and -bound <= value < bound


@dataclass(frozen=True, slots=True)
class RecorderStats:
    """Counters since start. Invariant: ``written + dropped + pending == recorded``."""

    #: Every record_* call.
    recorded: int
    #: Rows in a committed batch.
    written: int
    #: Refused: buffer full, recorder stopped, invalid values, or a batch that did not fit.
    dropped: int
    #: In the buffer, not yet committed.
    pending: int
    #: Batches that failed to write (each retried).
    flush_failures: int
    #: Postgres is reachable as far as the last write knows.
    connected: bool
    #: The buffer is full: new records are being dropped.
    full: bool = False
    #: How long the write in progress has been running (0 when none is).
    writing_seconds: float = 0.0


class OutcomeRecorder:
    """Implements `postgres.outcomes.DecisionSink` and `OutcomeSink`. One per worker process.

    Lifecycle: ``await recorder.start()`` once the event loop runs, ``await recorder.stop()``
    after the worker has stopped taking jobs (the records of in-flight jobs are still written).
    """

    def __init__(
        self,
        database_url: str,
        *,
        settings: RecorderSettings,
        default_rollout: str,
        backoff: Backoff | None = None,
    ) -> None:
        self._url = database_url
        self._settings = settings
        self._default_rollout = default_rollout
        self._backoff = backoff or Backoff(base=0.2, cap=5.0)
        self._buffer: deque[Row] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Each writer's connection, by writer number.
        self._conns: dict[int, psycopg.AsyncConnection[Any]] = {}
        #: Rows taken off the buffer by a write in progress: still pending.
        self._in_flight = 0
        self._accepting = False
        self._stopping = False
        self._recorded = 0
        self._written = 0
        self._dropped = 0
        self._flush_failures = 0
        self._connected = False
        self._outage = OutageTracker()
        self._dropped_at_outage_start = 0
        self._invalid_logged = False
        #: Dropped count when the current drop episode began (None: not dropping).
        self._dropping_since: int | None = None
        #: When each write in progress began, by writer number.
        self._write_started: dict[int, float] = {}

    # -- job path: never blocks, never raises ------------------------------------------------

    def record_decision(self, job: Job, rollout: str, decision: Decision) -> None:
        self._recorded += 1
        try:
            version = int(decision.version)
            rate = decision.rate
            bucket = decision.bucket
            if (
                not 1 <= version <= MAX_VERSION
                or (rate is not None and not 0.0 <= rate <= 1.0)
                or not _fits(job.key, _INT8)
                or not _fits(job.process_instance_key, _INT8)
                or "\x00" in rollout
            ):
                self._refuse_invalid()
                return
            row = (
                datetime.now(UTC),
                rollout,
                job.process_instance_key,
                job.key,
                version,
                decision.rule.value,
                None if bucket is None else float(bucket),
                None if rate is None else float(rate),
            )
        except Exception:  # noqa: BLE001 - a sink must never raise into the task function
            self._refuse_invalid()
            return
        self._append((DECISION, row))

    def record_outcome(
        self,
        job: Job,
        *,
        version: int,
        outcome: Outcome,
        latency_ms: float | None,
        error_code: str | None = None,
    ) -> None:
        self._recorded += 1
        try:
            value = str(outcome)
            rollout = str(job.custom_headers.get(process.ROLLOUT_HEADER) or self._default_rollout)
            code = None if error_code is None else str(error_code)[:_MAX_ERROR_CODE]
            if (
                not 1 <= version <= MAX_VERSION
                or value not in _OUTCOME_VALUES
                or (latency_ms is not None and not (math.isfinite(latency_ms) and latency_ms >= 0))
                or not _fits(job.key, _INT8)
                or not _fits(job.process_instance_key, _INT8)
                or not _fits(job.retries, _INT4)
                or "\x00" in rollout
                or (code is not None and "\x00" in code)
            ):
                self._refuse_invalid()
                return
            row = (
                datetime.now(UTC),
                rollout,
                job.process_instance_key,
                job.key,
                int(version),
                value,
                None if latency_ms is None else float(latency_ms),
                code,
                int(job.retries),
            )
        except Exception:  # noqa: BLE001 - a sink must never raise into the task function
            self._refuse_invalid()
            return
        self._append((OUTCOME, row))

    def _append(self, row: Row) -> None:
        if not self._accepting:
            self._dropped += 1
            return
        if self._pending() >= self._settings.buffer_size:
            if self._dropping_since is None:
                self._dropping_since = self._dropped
                log.error(
                    "recorder buffer full; dropping new records until a write succeeds",
                    buffer_size=self._settings.buffer_size,
                    writing_seconds=round(self._writing_seconds(), 1),
                )
            self._dropped += 1
            return
        self._buffer.append(row)
        if len(self._buffer) == self._settings.batch_size:
            self._wake.set()

    def _refuse_invalid(self) -> None:
        self._dropped += 1
        if not self._invalid_logged:
            self._invalid_logged = True
            # A programming error in a caller, not an outage: say so once, without the values.
            log.error("recorder refused a record with invalid values; counted as dropped")

    # -- state --------------------------------------------------------------------------------

    def stats(self) -> RecorderStats:
        return RecorderStats(
            recorded=self._recorded,
            written=self._written,
            dropped=self._dropped,
            pending=self._pending(),
            flush_failures=self._flush_failures,
            connected=self._connected,
            full=self._pending() >= self._settings.buffer_size,
            writing_seconds=self._writing_seconds(),
        )

    def _pending(self) -> int:
        return len(self._buffer) + self._in_flight

    def _writing_seconds(self) -> float:
        """How long the oldest write in progress has been running."""
        started = min(self._write_started.values(), default=None)
        return 0.0 if started is None else time.monotonic() - started

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            msg = "recorder already started"
            raise RuntimeError(msg)
        self._accepting = True
        self._task = asyncio.create_task(self._run(), name="outcome-recorder")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The background task, once started (the service watches that it never ends)."""
        return self._task

    async def stop(self, *, deadline: float | None = None) -> RecorderStats:
        """Write what is buffered within `deadline` seconds (default: the settings'), then close.

        Records arriving after this call are dropped and counted; what could not be written in
        time stays counted as pending and is reported in the log.
        """
        if deadline is None:
            deadline = self._settings.stop_timeout
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), deadline)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            except Exception:  # noqa: BLE001, S110
                pass  # a writer that died was logged by the service's task watch when it did
        self._accepting = False
        await self._close()
        stats = self.stats()
        if stats.pending:
            log.error(
                "recorder stopped with records unwritten",
                pending=stats.pending,
                written=stats.written,
                dropped=stats.dropped,
            )
        else:
            log.info("recorder stopped", written=stats.written, dropped=stats.dropped)
        return stats

    # -- background writer --------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            async with asyncio.TaskGroup() as writers:
                for number in range(WRITERS):
                    writers.create_task(self._writer(number))
        except BaseExceptionGroup as group:  # a writer died: the service's task watch says why
            raise group.exceptions[0] from None

    async def _writer(self, number: int) -> None:
        attempt = 0
        while True:
            if not self._buffer:
                if self._stopping:
                    return
                await self._sleep(self._settings.flush_interval)
                continue
            if len(self._buffer) < self._settings.batch_size and not self._stopping:
                # Let a partial batch fill up for at most one flush interval.
                await self._sleep(self._settings.flush_interval)
                if not self._buffer:
                    continue  # the other writer took it
            taken = min(self._settings.batch_size, len(self._buffer))
            batch = [self._buffer.popleft() for _ in range(taken)]
            self._in_flight += taken
            self._write_started[number] = time.monotonic()
            try:
                async with asyncio.timeout(WRITE_TIMEOUT):
                    await self._write(number, batch)
            except (psycopg.DataError, psycopg.IntegrityError, *_UNFIT) as exc:
                # The rows themselves are refused, by Postgres or while formatting them (the
                # checks above should make this impossible): retrying would block every later
                # record, so the batch is dropped, counted and logged. Other errors (down,
                # missing grant or table) may heal: those batches are kept and retried.
                self._write_ended(number, taken)
                self._dropped += taken
                log.error(  # noqa: TRY400 - one line says it; a traceback adds nothing
                    "recorder batch rejected: a value does not fit its column",
                    rows=taken,
                    error=error_without_values(exc),
                )
                continue
            except (psycopg.Error, DatabaseUnavailableError, TimeoutError) as exc:
                self._write_ended(number, taken, back=batch)
                self._on_failure(exc)
                await asyncio.sleep(self._backoff.delay(attempt + 1))
                attempt += 1
                continue
            except BaseException:
                self._write_ended(number, taken, back=batch)  # cancelled: pending again
                raise
            self._write_ended(number, taken)
            self._written += taken
            attempt = 0
            self._on_success()

    def _write_ended(self, number: int, taken: int, *, back: list[Row] | None = None) -> None:
        """Writer `number`'s batch of `taken` rows is no longer in flight; `back` (a failed
        batch) goes back to the head of the buffer, to be retried first."""
        self._in_flight -= taken
        self._write_started.pop(number, None)
        if back is not None:
            self._buffer.extendleft(reversed(back))

    async def _sleep(self, seconds: float) -> None:
        """Wait for `seconds`, or less when a full batch or a stop request wakes us."""
        self._wake.clear()
        if self._stopping or len(self._buffer) >= self._settings.batch_size:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _write(self, number: int, batch: list[Row]) -> None:
        try:
            conn = await self._connection(number)
            async with conn.transaction(), conn.cursor() as cur:
                for kind, statement, types in COPIES:
                    rows = [row for k, row in batch if k == kind]
                    if rows:
                        async with cur.copy(statement) as copy:
                            copy.set_types(types)
                            for start in range(0, len(rows), _ROWS_PER_YIELD):
                                for row in rows[start : start + _ROWS_PER_YIELD]:
                                    await copy.write_row(row)
                                await asyncio.sleep(0)
        except BaseException:
            await self._close(number)
            raise

    async def _connection(self, number: int) -> psycopg.AsyncConnection[Any]:
        conn = self._conns.get(number)
        if conn is None or conn.closed:
            conn = self._conns[number] = await connect(self._url)
        return conn

    async def _close(self, number: int | None = None) -> None:
        """Close writer `number`'s connection, or every writer's."""
        for key in list(self._conns) if number is None else [number]:
            conn = self._conns.pop(key, None)
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()

    def _on_failure(self, exc: Exception) -> None:
        self._flush_failures += 1
        self._connected = False
        if self._outage.failed(first_line(exc)):
            self._dropped_at_outage_start = self._dropped
            log.warning(
                "recorder cannot write to Postgres; buffering records in memory",
                error=first_line(exc),
                pending=self._pending(),
                buffer_size=self._settings.buffer_size,
            )

    def _on_success(self) -> None:
        self._connected = True
        if self._dropping_since is not None:
            log.warning(
                "recorder no longer dropping records",
                dropped_in_episode=self._dropped - self._dropping_since,
                pending=self._pending(),
            )
            self._dropping_since = None
        seconds = self._outage.recovered()
        if seconds is not None:
            log.warning(
                "recorder writing to Postgres again",
                outage_seconds=round(seconds, 1),
                dropped_during_outage=self._dropped - self._dropped_at_outage_start,
                pending=self._pending(),
            )


class RecorderMetrics:
    """A Prometheus collector exposing a recorder's counters; register it on a registry."""

    def __init__(self, recorder: OutcomeRecorder) -> None:
        self._recorder = recorder

    def collect(self) -> Iterator[Metric]:
        stats = self._recorder.stats()
        for name, value, text in (
            ("recorded", stats.recorded, "records handed to the recorder"),
            ("written", stats.written, "records committed to Postgres"),
            ("dropped", stats.dropped, "records dropped (buffer full, stopped or invalid)"),
            ("flush_failures", stats.flush_failures, "batches that failed to write"),
        ):
            yield CounterMetricFamily(f"canary_recorder_{name}", text, value=value)
        yield GaugeMetricFamily(
            "canary_recorder_pending", "records buffered, not yet written", value=stats.pending
        )
