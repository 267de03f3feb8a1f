"""GatewayWatch: outages logged once, attempts paced by backoff, stale answers ignored."""

import grpc
from structlog.testing import capture_logs

from workers.backoff import Backoff
from workers.runtime.gateway_watch import GatewayWatch


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def watch_with(clock: Clock) -> GatewayWatch:
    return GatewayWatch(backoff=Backoff(base=1.0, cap=8.0), clock=clock)


def test_an_outage_is_logged_once_and_its_end_with_the_duration():
    clock = Clock()
    watch = watch_with(clock)
    with capture_logs() as logs:
        for _ in range(5):
            watch.failed(grpc.StatusCode.UNAVAILABLE, "connection refused")
            clock.now += 10
        watch.succeeded(started_at=clock.now)
    events = [e["event"] for e in logs]
    assert events == [
        "zeebe gateway unreachable; reconnecting with backoff",
        "zeebe gateway reachable again",
    ]
    assert logs[1]["outage_seconds"] == 50.0
    assert watch.up
    assert watch.outages == 1


def test_pollers_failing_in_the_same_window_count_as_one_attempt():
    clock = Clock()
    watch = watch_with(clock)
    watch.failed(grpc.StatusCode.UNAVAILABLE, "x")
    first_window = watch._next_attempt
    for _ in range(5):  # five other pollers fail at the same moment
        watch.failed(grpc.StatusCode.UNAVAILABLE, "x")
    assert watch._failures == 1
    assert watch._next_attempt == first_window


class CeilingBackoff(Backoff):
    """The backoff at the top of its jitter range, so the windows are predictable."""

    def delay(self, attempt, rand=None):  # noqa: ARG002
        return super().delay(attempt, lambda: 1.0)


def test_attempt_windows_grow_exponentially_up_to_the_cap():
    clock = Clock()
    watch = GatewayWatch(backoff=CeilingBackoff(base=1.0, cap=8.0), clock=clock)
    windows = []
    for _ in range(6):
        watch.failed(grpc.StatusCode.UNAVAILABLE, "x")
        windows.append(watch._next_attempt - clock.now)
        clock.now = watch._next_attempt  # the next poller tries exactly when allowed
    assert windows == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_an_answer_to_a_call_from_before_the_outage_does_not_end_it():
    clock = Clock()
    watch = watch_with(clock)
    started = clock.now
    clock.now += 1
    watch.failed(grpc.StatusCode.UNAVAILABLE, "x")
    watch.succeeded(started_at=started)  # a long poll answered while the gateway shut down
    assert not watch.up
    watch.succeeded(started_at=clock.now)
    assert watch.up


async def test_waiting_for_an_attempt_returns_at_once_when_up():
    watch = GatewayWatch()
    await watch.wait_for_attempt()
    assert watch.up
