"""OutageTracker: the one down/up state machine behind the cache, recorder and gateway watch."""

from workers.outage import OutageTracker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_only_the_first_failure_starts_an_outage_and_the_last_error_is_kept():
    clock = Clock()
    outage = OutageTracker(clock=clock)
    assert outage.failed("refused") is True
    clock.now += 5
    assert outage.failed("timed out") is False
    assert (outage.down, outage.outages, outage.last_error) == (True, 1, "timed out")
    assert outage.seconds() == 5.0


def test_a_success_ends_the_outage_once_with_its_length():
    clock = Clock()
    outage = OutageTracker(clock=clock)
    outage.failed("refused")
    clock.now += 12.5
    assert outage.recovered() == 12.5
    assert outage.recovered() is None
    assert (outage.down, outage.recoveries, outage.last_error, outage.seconds()) == (
        False,
        1,
        None,
        0.0,
    )


def test_a_success_while_up_is_no_recovery():
    outage = OutageTracker(clock=Clock())
    assert outage.recovered() is None
    assert outage.recoveries == 0


def test_an_answer_to_a_call_started_before_the_outage_does_not_end_it():
    clock = Clock()
    outage = OutageTracker(clock=clock)
    started = clock.now
    clock.now += 1
    outage.failed("refused")
    assert outage.recovered(started_at=started) is None
    assert outage.down
    assert outage.recovered(started_at=clock.now) == 0.0


def test_every_outage_is_counted():
    outage = OutageTracker(clock=Clock())
    for _ in range(3):
        outage.failed("x")
        outage.recovered()
    assert (outage.outages, outage.recoveries) == (3, 3)
