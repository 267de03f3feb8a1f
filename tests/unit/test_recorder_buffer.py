"""The recorder's job-path side: never raises, bounded, counts everything it refuses."""

from typing import Any

from pyzeebe import Job
from structlog.testing import capture_logs

from workers.postgres.outcomes import Outcome
from workers.postgres.recorder import OutcomeRecorder
from workers.routing import Decision, Rule
from workers.settings import RecorderSettings

SETTINGS = RecorderSettings(buffer_size=3, batch_size=2, flush_interval=60.0, stop_timeout=1.0)


def make_job(key: int = 1, headers: dict[str, str] | None = None) -> Job:
    return Job(
        key=key,
        type="verify-identity-v1",
        process_instance_key=key + 1000,
        bpmn_process_id="identity-verification",
        process_definition_version=1,
        process_definition_key=1,
        element_id="verify-identity-v1",
        element_instance_key=1,
        custom_headers=headers or {},
        worker="test",
        retries=3,
        deadline=0,
        variables={},
    )


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
        recorder.record_outcome(make_job(), version=3, outcome=Outcome.VERIFIED, latency_ms=1.0)
        recorder.record_outcome(make_job(), version=1, outcome=Outcome.VERIFIED, latency_ms=-5)
        recorder.record_outcome(make_job(), version=1, outcome="nonsense", latency_ms=None)  # type: ignore[arg-type]
        recorder.record_decision(bad, "verifymenow", Decision(2, Rule.STICKY, 0.1, 0.2))
        recorder.record_decision(make_job(), "verifymenow", Decision(2, Rule.STICKY, 0.1, 7.0))
    stats = recorder.stats()
    assert (stats.recorded, stats.dropped, stats.pending) == (5, 5, 0)
    assert [e["event"] for e in logs].count(
        "recorder refused a record with invalid values; counted as dropped"
    ) == 1


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
