"""The pytest plugin (the ``pytest11`` entry point ``zeebe_devengine``): the Zeebe fixtures.

``zeebe_target``, ``zeebe_channel``, ``zeebe_client`` and ``zeebe_clock`` (see
`zeebe_devengine.fixtures`).
They are async and need pytest-asyncio (the ``pytest`` extra). Where the engine is installed
without it (e.g. only to run the demo), the plugin offers nothing rather than breaking every
pytest run in that environment.
"""

try:
    import pytest_asyncio  # noqa: F401  (only whether it is there)
except ModuleNotFoundError:
    pass
else:
    from zeebe_devengine.fixtures import (
        ZeebeClock,
        ZeebeTarget,
        pytest_addoption,
        zeebe_channel,
        zeebe_client,
        zeebe_clock,
        zeebe_target,
    )

    __all__ = [
        "ZeebeClock",
        "ZeebeTarget",
        "pytest_addoption",
        "zeebe_channel",
        "zeebe_client",
        "zeebe_clock",
        "zeebe_target",
    ]
