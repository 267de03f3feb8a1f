"""The dev engine: an in-memory Zeebe gateway double, over real gRPC, for tests and demos.

A test tool, not Zeebe: it lets workers be tested through their real client (pyzeebe) and the
real wire protocol with nothing else installed. State lives in memory and is gone when it
stops. Start it with ``zeebe-devengine`` (gRPC on 26500, REST on 8080), with
``async with DevEngine(port=0, rest_port=0) as dev:`` in the caller's event loop, or in tests
with the fixtures of the pytest plugin (``zeebe_target``, ``zeebe_channel``,
``zeebe_client``, ``zeebe_clock``), which target a real cluster instead when
``ZEEBE_ADDRESS`` is set.

What it supports (gRPC calls, the BPMN, FEEL and REST subsets) and how it is laid out:
the distribution's README.md.
"""

from zeebe_devengine.server import DevEngine
from zeebe_devengine.version import __version__

__all__ = ["DevEngine", "__version__"]
