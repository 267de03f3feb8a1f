"""How the VerifyMeNow stand-in behaves, per API version; changeable while it runs.

Each rate is a share of all processed requests, drawn in this order from one uniform number:
``error_rate`` (HTTP 503), ``malformed_rate`` (a 200 whose body breaks the contract),
``rejection_rate``, ``unreadable_rate``; the rest are approved. So the rates must add up to
at most 1. Latency is lognormal, given by its median and 95th percentile in milliseconds
(equal values give a fixed latency; 0 answers at once).

The defaults are a perfect, instant provider; the command line sets realistic latencies.
JSON (admin endpoint) uses the field names below; an update names only what it changes.
"""

import math
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Self

#: z-score of the 95th percentile of a standard normal distribution.
_Z95 = 1.6448536269514722


class StubConfigError(ValueError):
    """A configuration value is out of range or unknown; the message says which."""


@dataclass(frozen=True, slots=True)
class VersionBehaviour:
    error_rate: float = 0.0
    malformed_rate: float = 0.0
    rejection_rate: float = 0.0
    unreadable_rate: float = 0.0
    latency_median_ms: float = 0.0
    latency_p95_ms: float = 0.0

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.malformed_rate, self.rejection_rate, self.unreadable_rate)
        for name, value in zip(_RATE_FIELDS, rates, strict=True):
            if not 0.0 <= value <= 1.0:  # also rejects NaN
                msg = f"{name} must be between 0 and 1"
                raise StubConfigError(msg)
        if sum(rates) > 1.0 + 1e-9:
            msg = "error, malformed, rejection and unreadable rates add up to more than 1"
            raise StubConfigError(msg)
        for name in ("latency_median_ms", "latency_p95_ms"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                msg = f"{name} must be a non-negative number of milliseconds"
                raise StubConfigError(msg)
        if self.latency_p95_ms < self.latency_median_ms:
            msg = "latency_p95_ms must not be below latency_median_ms"
            raise StubConfigError(msg)

    def updated(self, changes: Mapping[str, Any]) -> Self:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            msg = f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})"
            raise StubConfigError(msg)
        values = {}
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                msg = f"{name} must be a number"
                raise StubConfigError(msg)
            values[name] = float(value)
        return replace(self, **values)

    def latency_seconds(self, rng: random.Random) -> float:
        median, p95 = self.latency_median_ms, self.latency_p95_ms
        if median <= 0:
            return 0.0
        if p95 <= median:
            return median / 1000.0
        sigma = math.log(p95 / median) / _Z95
        return rng.lognormvariate(math.log(median), sigma) / 1000.0


_RATE_FIELDS = ("error_rate", "malformed_rate", "rejection_rate", "unreadable_rate")


@dataclass(frozen=True, slots=True)
class StubConfig:
    v1: VersionBehaviour = field(default_factory=VersionBehaviour)
    v2: VersionBehaviour = field(default_factory=VersionBehaviour)
    #: Seeds the random draws (outcomes, latencies, ids) for reproducible runs; None = random.
    seed: int | None = None

    def behaviour(self, version: int) -> VersionBehaviour:
        return self.v1 if version == 1 else self.v2

    def as_json(self) -> dict[str, Any]:
        return {"v1": asdict(self.v1), "v2": asdict(self.v2), "seed": self.seed}

    def updated(self, changes: Any) -> Self:
        """Apply a partial update such as ``{"v2": {"error_rate": 1}}``; validate everything."""
        if not isinstance(changes, Mapping):
            msg = "the configuration must be a JSON object with v1, v2 and/or seed"
            raise StubConfigError(msg)
        unknown = sorted(set(changes) - {"v1", "v2", "seed"})
        if unknown:
            msg = f"unknown setting {unknown[0]!r} (known: v1, v2, seed)"
            raise StubConfigError(msg)
        result = self
        for name in ("v1", "v2"):
            if name in changes:
                if not isinstance(changes[name], Mapping):
                    msg = f"{name} must be a JSON object of settings"
                    raise StubConfigError(msg)
                result = replace(result, **{name: getattr(result, name).updated(changes[name])})
        if "seed" in changes:
            seed = changes["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                msg = "seed must be an integer or null"
                raise StubConfigError(msg)
            result = replace(result, seed=seed)
        return result
