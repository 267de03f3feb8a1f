"""Pytest fixtures for tests that talk to Zeebe: the dev engine in-process, or a real cluster.

Loaded by the plugin (`zeebe_devengine.pytest_plugin`, the ``pytest11`` entry point) when
pytest-asyncio is installed, e.g. with ``pip install 'zeebe-devengine[pytest]'``.

- ``zeebe_target``: where to connect (`ZeebeTarget`): a fresh dev engine per test on ports the
  servers pick themselves, or, when a cluster address is given, that real cluster over
  plaintext gRPC. The address comes from ``--zeebe-address``, else the ``zeebe_address`` ini
  option, else ``ZEEBE_ADDRESS``; REST from ``--camunda-rest-address`` / ``camunda_rest_address``
  / ``CAMUNDA_REST_ADDRESS`` (default ``http://localhost:8080``). A test that needs something
  only the dev engine offers (its clock, its state) calls
  ``zeebe_target.require_dev_engine("why")``, which skips it against a real cluster, saying
  why. ``rest_url`` is the base URL, without ``/v2``.
- ``zeebe_channel``: a pyzeebe insecure channel to the target; ``zeebe_client``: a
  ``ZeebeClient`` on it.
- ``zeebe_clock``: the engine clock (`ZeebeClock`): ``pin(epoch_ms)``, ``advance(ms)``,
  ``reset()``, ``now_ms()``. Against the dev engine it calls the engine; against a real
  cluster it uses Camunda's clock API (``PUT /v2/clock``, ``POST /v2/clock/reset``), which
  the cluster must have enabled (``zeebe.clock.controlled: true``). Timers due under the
  pinned clock fire at once; the fixture resets the clock after the test.

Against a real cluster tests must not assume an empty engine: use unique process ids and job
types, and poll REST reads (Camunda's secondary storage is eventually consistent), e.g.:

    ZEEBE_ADDRESS=localhost:26500 CAMUNDA_REST_ADDRESS=http://localhost:8080 pytest -m engine
"""

import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import pytest
import pytest_asyncio
from pyzeebe import ZeebeClient, create_insecure_channel

from zeebe_devengine.server import DevEngine

DEFAULT_REST_ADDRESS = "http://localhost:8080"
ZEEBE_ADDRESS = "zeebe_address"
REST_ADDRESS = "camunda_rest_address"
#: Option (and ini) name -> (the environment variable read when neither is set, help).
OPTIONS = {
    ZEEBE_ADDRESS: ("ZEEBE_ADDRESS", "a real cluster's gRPC gateway (host:port), not the engine"),
    REST_ADDRESS: ("CAMUNDA_REST_ADDRESS", "that cluster's REST API (http://host:port)"),
}
_PLAINTEXT_ADDRESS = re.compile(r"^(?:(?:http|grpc)://)?(?P<address>[^/:]+(?::\d{1,5})?)/?$")


class Settings(Protocol):
    """What the fixtures read of pytest's configuration (`pytest.Config`)."""

    def getoption(self, name: str) -> Any: ...

    def getini(self, name: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class ZeebeTarget:
    grpc_address: str
    rest_url: str
    #: The in-process dev engine (its state, its clock), or None against a real cluster.
    engine: DevEngine | None

    @property
    def is_dev_engine(self) -> bool:
        return self.engine is not None

    def require_dev_engine(self, reason: str) -> DevEngine:
        """The dev engine; skips the test (with `reason`) against a real cluster."""
        if self.engine is None:
            pytest.skip(f"needs the dev engine, not a real cluster: {reason}")
        return self.engine


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("zeebe_devengine", "Zeebe target (the zeebe_target fixture)")
    for name, (variable, text) in OPTIONS.items():
        group.addoption(f"--{name.replace('_', '-')}", dest=name, help=f"{text}; or {variable}")
        parser.addini(name, f"{text}; {variable} is read when neither option is set")


def setting(config: Settings, name: str) -> str:
    """The command-line option, else the ini option, else the environment variable."""
    value = config.getoption(name) or config.getini(name) or os.environ.get(OPTIONS[name][0])
    return str(value or "").strip()


def grpc_address(text: str) -> str:
    """``host:port`` from ``host[:port]`` or ``http://`` / ``grpc://host:port`` (plaintext only)."""
    match = _PLAINTEXT_ADDRESS.match(text)
    if match is None:
        pytest.fail(f"the Zeebe fixtures connect to plaintext gateways (host:port), not {text!r}")
    address = match.group("address")
    return address if ":" in address else f"{address}:26500"


def rest_base_url(text: str) -> str:
    """The REST API's base URL without a trailing ``/v2`` (the default when `text` is empty)."""
    url = (text or DEFAULT_REST_ADDRESS).rstrip("/").removesuffix("/v2")
    if not url.startswith(("http://", "https://")):
        pytest.fail(f"the REST address must be an http:// or https:// URL, not {text!r}")
    return url


@pytest_asyncio.fixture
async def zeebe_target(pytestconfig: pytest.Config) -> AsyncIterator[ZeebeTarget]:
    cluster = setting(pytestconfig, ZEEBE_ADDRESS)
    if cluster:
        rest = rest_base_url(setting(pytestconfig, REST_ADDRESS))
        yield ZeebeTarget(grpc_address(cluster), rest, None)
        return
    async with DevEngine(port=0, rest_port=0) as engine:
        yield ZeebeTarget(engine.grpc_address, engine.rest_url or "", engine)


@pytest_asyncio.fixture
async def zeebe_channel(zeebe_target: ZeebeTarget) -> AsyncIterator[Any]:
    channel = create_insecure_channel(grpc_address=zeebe_target.grpc_address)
    yield channel
    await channel.close()


@pytest.fixture
def zeebe_client(zeebe_channel: Any) -> ZeebeClient:
    return ZeebeClient(zeebe_channel)


class ZeebeClock:
    """The engine clock of a `ZeebeTarget`, as Camunda's clock API controls it."""

    def __init__(self, target: ZeebeTarget) -> None:
        self._target = target
        #: The pinned time on a real cluster (which offers no read of its clock).
        self._pinned: int | None = None

    def now_ms(self) -> int:
        if self._target.engine is not None:
            return self._target.engine.engine.clock_ms()
        return self._pinned if self._pinned is not None else int(time.time() * 1000)

    async def pin(self, epoch_ms: int) -> None:
        """Stop the clock at `epoch_ms`; timers due by then fire at once."""
        if self._target.engine is not None:
            self._target.engine.engine.pin_clock(epoch_ms)
        else:
            await self._rest("PUT", "/v2/clock", {"timestamp": epoch_ms})
        self._pinned = epoch_ms

    async def advance(self, ms: int) -> int:
        """Pin the clock `ms` later than now; returns the new time."""
        target = self.now_ms() + ms
        await self.pin(target)
        return target

    async def reset(self) -> None:
        """Follow system time again."""
        if self._target.engine is not None:
            self._target.engine.engine.reset_clock()
        else:
            await self._rest("POST", "/v2/clock/reset", None)
        self._pinned = None

    async def _rest(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        async with aiohttp.ClientSession() as session:
            url = self._target.rest_url + path
            async with session.request(method, url, json=body) as response:
                if response.status >= 300:
                    detail = await response.text()
                    pytest.fail(f"{method} {path} answered {response.status}: {detail}")


@pytest_asyncio.fixture
async def zeebe_clock(zeebe_target: ZeebeTarget) -> AsyncIterator[ZeebeClock]:
    clock = ZeebeClock(zeebe_target)
    yield clock
    await clock.reset()
