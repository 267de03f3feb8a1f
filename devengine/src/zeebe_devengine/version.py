"""The distribution's version: one place, read by the package, the build and the gateways."""

__version__ = "0.1.0"

#: What Topology and REST /topology report: the Zeebe release whose API is served, and ours.
GATEWAY_VERSION = f"8.9.0-canary-dev-engine.{__version__}"
