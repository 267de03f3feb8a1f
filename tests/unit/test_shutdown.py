"""stop_on_signals: SIGINT and SIGTERM set the event; leaving restores the default handling."""

import asyncio
import signal

import pytest

from workers.shutdown import STOP_SIGNALS, stop_on_signals


@pytest.mark.parametrize("signum", STOP_SIGNALS)
async def test_the_signal_sets_the_event_instead_of_ending_the_loop(signum):
    async with stop_on_signals() as stop:
        assert not stop.is_set()
        signal.raise_signal(signum)
        await asyncio.wait_for(stop.wait(), timeout=5)


async def test_leaving_removes_the_handlers():
    loop = asyncio.get_running_loop()
    async with stop_on_signals():
        pass
    for signum in STOP_SIGNALS:
        assert loop.remove_signal_handler(signum) is False
