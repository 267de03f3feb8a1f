"""The recorder's job-path side: never raises, bounded, counts everything it refuses."""

from typing import Any

from pyzeebe import Job
from structlog.testing import capture_logs
from support import jobs

from workers import process
from workers.postgres.outcomes import Outcome
from workers.postgres.recorder import OutcomeRecorder
from workers.routing import Decision, Rule
from workers.settings import RecorderSettings

SETTINGS = RecorderSettings(buffer_size=3, batch_size=2, flush_interval=60.0, stop_timeout=1.0)


def make_job(key: int = 1, headers: dict[str, str] | None = None) -> Job:
    return jobs.make_job(process.verify_task(1), key=key, headers=headers, pik=key + 1000)


def accepting_recorder() -> OutcomeRecorder:
    recorder = OutcomeRecorder(
        "postgresql://unused@127.0.0.1:1/none", settings=SETTINGS, default_rollout="verifymenow"
    )
    recorder._accepting = True  # as after start(), without a writer draining the buffer
    return recorder


def test_records_beyond_the_buffer_are_dropped_and_counted():
    recorder = accepting_recorder()
    for key in range(5):
        recorder.record_outcome(make_job(key), version=1, outcome=Outcome.VERIFIED, latency_ms=12.0)
    stats = recorder.stats()
    assert (stats.recorded, stats.pending, stats.dropped, stats.written) == (5, 3, 2, 0)


def test_invalid_values_are_dropped_counted_and_logged_once_without_raising():
    recorder = accepting_recorder()
    bad: Any = object()  # not a Job at all
    with capture_logs() as logs:
        recorder.record_outcome(make_job(), version=0, outcome=Outcome.VERIFIED, latency_ms=1.0)
        recorder.record_outcome(make_job(), version=1, outcome=Outcome.VERIFIED, latency_ms=-5)
        recorder.record_outcome(make_job(), version=1, outcome="nonsense", latency_ms=None)  # type: ignore[arg-type]
        recorder.record_decision(bad, "verifymenow", Decision(2, Rule.STICKY, 0.1, 0.2))
        recorder.record_decision(make_job(), "verifymenow", Decision(2, Rule.STICKY, 0.1, 7.0))
    stats = recorder.stats()
    assert (stats.recorded, stats.dropped, stats.pending) == (5, 5, 0)
    assert [e["event"] for e in logs].count(
        "recorder refused a record with invalid values; counted as dropped"
    ) == 1


def test_any_version_from_1_is_recorded():
    """A rollout 2 -> 3 records v3's decisions and outcomes (migration 0007)."""
    recorder = accepting_recorder()
    recorder.record_outcome(make_job(), version=3, outcome=Outcome.VERIFIED, latency_ms=1.0)
    recorder.record_decision(make_job(), "verifymenow", Decision(3, Rule.STICKY, 0.1, 0.2))
    recorder.record_outcome(make_job(), version=32768, outcome=Outcome.VERIFIED, latency_ms=1.0)
    stats = recorder.stats()
    assert (stats.recorded, stats.pending, stats.dropped) == (3, 2, 1)


def test_records_before_start_are_dropped_not_kept():
    recorder = OutcomeRecorder(
        "postgresql://unused@127.0.0.1:1/none", settings=SETTINGS, default_rollout="verifymenow"
    )
    recorder.record_decision(make_job(), "verifymenow", Decision(1, Rule.STICKY, 0.5, 0.2))
    assert recorder.stats().dropped == 1
    assert recorder.stats().pending == 0


def test_outcome_rows_take_the_rollout_header_else_the_default():
    recorder = accepting_recorder()
    recorder.record_outcome(
        make_job(1, {"rollout": "other"}), version=2, outcome=Outcome.INCIDENT, latency_ms=None
    )
    recorder.record_outcome(make_job(2), version=1, outcome=Outcome.REJECTED, latency_ms=3.5)
    rollouts = [row[1] for _, row in recorder._buffer]
    assert rollouts == ["other", "verifymenow"]


def test_values_a_binary_copy_cannot_hold_are_refused_on_the_job_path():
    """The batch is a binary COPY: an int4 would wrap silently, an int8 overflow would raise
    in the writer and a NUL would make Postgres refuse the whole batch."""
    recorder = accepting_recorder()
    decision = Decision(1, Rule.STICKY, 0.5, 0.5)
    too_big = jobs.make_job(process.verify_task(1), key=2**63)
    recorder.record_outcome(too_big, version=1, outcome=Outcome.VERIFIED, latency_ms=1.0)
    recorder.record_decision(too_big, "verifymenow", decision)
    recorder.record_outcome(
        jobs.make_job(process.verify_task(1), retries=2**31),
        version=1, outcome=Outcome.VERIFIED, latency_ms=1.0,
    )  # fmt: skip
    recorder.record_outcome(
        make_job(2, {"rollout": "a\x00b"}), version=1, outcome=Outcome.VERIFIED, latency_ms=1.0
    )
    recorder.record_outcome(
        make_job(3), version=1, outcome=Outcome.INCIDENT, latency_ms=1.0, error_code="X\x00"
    )
    recorder.record_decision(make_job(4), "a\x00b", decision)
    stats = recorder.stats()
    assert (stats.recorded, stats.dropped, stats.pending) == (6, 6, 0)
    recorder.record_outcome(
        jobs.make_job(process.verify_task(1), key=2**63 - 1, retries=2**31 - 1),
        version=1, outcome=Outcome.VERIFIED, latency_ms=3,  # an int latency is stored as float
    )  # fmt: skip
    assert recorder.stats().pending == 1
    assert recorder._buffer[0][1][6] == 3.0


def test_a_refused_rows_error_keeps_its_class_and_sqlstate_and_drops_the_values():
    """Postgres and Python quote a refused row's values in their messages: never logged."""
    from psycopg import errors  # noqa: PLC0415

    from workers.postgres.connection import error_without_values  # noqa: PLC0415

    quoted = errors.InvalidTextRepresentation('invalid input syntax for type bigint: "alice"')
    assert error_without_values(quoted) == "InvalidTextRepresentation (SQLSTATE 22P02)"
    overflow = OverflowError("int 18446744073709551616 too big to convert")
    assert error_without_values(overflow) == "OverflowError"
