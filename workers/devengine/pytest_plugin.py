"""Pytest fixtures for tests that talk to Zeebe: the dev engine in-process, or a real cluster.

Register with ``pytest_plugins = ["workers.devengine.pytest_plugin"]`` in the root conftest.

- ``zeebe_target``: where to connect (`ZeebeTarget`): a fresh dev engine per test on free
  ports, or, when ``ZEEBE_ADDRESS`` is set, that real cluster over plaintext gRPC (REST at
  ``CAMUNDA_REST_ADDRESS``, default ``http://localhost:8080``; both parsed by
  `workers.settings`). A test that needs something only the dev engine offers calls
  ``zeebe_target.require_dev_engine("why")``, which skips it against a real cluster, saying
  why. ``rest_url`` is the base URL, without ``/v2``.
- ``zeebe_channel``: a pyzeebe insecure channel to the target; ``zeebe_client``: a
  ``ZeebeClient`` on it.

Against a real cluster tests must not assume an empty engine: use unique process ids and job
types, and poll REST reads (Camunda's secondary storage is eventually consistent). With the
project's compose file (Camunda 8.9, unprotected local API):

    docker compose up -d camunda
    ZEEBE_ADDRESS=localhost:26500 CAMUNDA_REST_ADDRESS=http://localhost:8080 \
        .venv/bin/pytest -m engine
"""

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from pyzeebe import ZeebeClient, create_insecure_channel

from workers.devengine.server import DevEngine
from workers.settings import CamundaRestSettings, ZeebeSettings


@dataclass(frozen=True, slots=True)
class ZeebeTarget:
    grpc_address: str
    rest_url: str
    #: The in-process dev engine, or None against a real cluster.
    engine: DevEngine | None

    @property
    def is_dev_engine(self) -> bool:
        return self.engine is not None

    def require_dev_engine(self, reason: str) -> DevEngine:
        """The dev engine; skips the test (with `reason`) against a real cluster."""
        if self.engine is None:
            pytest.skip(f"needs the dev engine, not a real cluster: {reason}")
        return self.engine


@pytest_asyncio.fixture
async def zeebe_target() -> AsyncIterator[ZeebeTarget]:
    if os.environ.get("ZEEBE_ADDRESS", "").strip():
        zeebe = ZeebeSettings.from_env(os.environ)
        if zeebe.mode != "plaintext":
            pytest.fail(f"the test fixtures connect to plaintext gateways only, not {zeebe.mode}")
        rest = CamundaRestSettings.from_env(os.environ).address.removesuffix("/v2")
        yield ZeebeTarget(zeebe.address, rest, None)
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
