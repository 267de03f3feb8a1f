"""What `canary report` shows, as data: built by `build`, drawn by `render` and `plot`.

Definitions (printed under the report, and in its JSON as ``definitions``):

- attempt: one verification job execution (a job retried three times is three attempts);
- success: the attempt verified the applicant;
- rejection: a business outcome, IDENTITY_REJECTED or DOCUMENT_UNREADABLE: the integration
  answered, so it is not a failure of the integration;
- failure: a technical failure, i.e. a transient failure (job failed with retries left) or an
  incident (no retries left, or input the worker could not use).
"""

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from workers.routing import Version
from workers.stats import Proportion

DEFINITIONS = {
    "attempt": "one verification job execution; a retried job counts once per attempt",
    "success": "attempt ended verified",
    "rejection": "business outcome: identity rejected or document unreadable",
    "failure": "technical failure: transient failure (retries left) or incident",
}


class Verdict(StrEnum):
    """The test's outcome; its values read for the default pair (canary v2), and
    `verdict_label` names the rollout's own canary."""

    WORSE = "v2 worse"
    NO_WORSE = "v2 no worse"
    NOT_ENOUGH_DATA = "not enough data"


def verdict_label(verdict: Verdict, canary_version: Version) -> str:
    """``v3 worse`` for a rollout whose canary is v3; unchanged for v2."""
    if verdict is Verdict.NOT_ENOUGH_DATA:
        return verdict.value
    return verdict.value.replace("v2", f"v{canary_version}", 1)


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """The test's knobs; the defaults are the CLI's."""

    #: H1: v2's failure rate is this many times v1's.
    ratio: float = 2.0
    #: Chance of calling "v2 worse" when it is not (before Ville's 1/(1-beta) factor).
    alpha: float = 0.05
    #: Chance of calling "v2 no worse" when it fails `ratio` times as often.
    beta: float = 0.2
    #: No verdict before each version has this many attempts...
    min_attempts: int = 50
    #: ...and both together this many failures.
    min_failures: int = 5
    #: p-value below which the split is flagged as a sample-ratio mismatch.
    srm_threshold: float = 0.001
    #: Columns of the failure-rate chart.
    columns: int = 24

    def check(self) -> "ReportSettings":
        """Raise ValueError with a one-line message when a knob is out of range."""
        if not (math.isfinite(self.ratio) and self.ratio > 1):
            msg = f"--ratio must be greater than 1, got {self.ratio}"
            raise ValueError(msg)
        for name, value in (("--alpha", self.alpha), ("--beta", self.beta)):
            if not 0 < value < 1:
                msg = f"{name} must be between 0 and 1, got {value}"
                raise ValueError(msg)
        if self.alpha + self.beta >= 1:
            msg = "--alpha plus --beta must be below 1"
            raise ValueError(msg)
        if self.min_attempts < 1 or self.min_failures < 0:
            msg = "--min-attempts must be at least 1 and --min-failures at least 0"
            raise ValueError(msg)
        if not 2 <= self.columns <= 200:
            msg = f"--columns must be between 2 and 200, got {self.columns}"
            raise ValueError(msg)
        return self


@dataclass(frozen=True, slots=True)
class VersionStats:
    version: Version
    attempts: int
    #: Attempts per outcome (verified, rejected, unreadable, transient_failure, incident).
    outcomes: dict[str, int]
    success: Proportion
    rejection: Proportion
    failure: Proportion
    latency_p50_ms: float | None
    latency_p95_ms: float | None


@dataclass(frozen=True, slots=True)
class Split:
    """Observed canary share of sticky/random decisions against the rates they were made with."""

    decisions: int
    canary_decisions: int
    expected_canary: float
    z: float | None
    p_value: float | None
    mismatch: bool
    threshold: float
    #: Decisions left out of the test: override and fallback decide no share.
    excluded: dict[str, int]

    @property
    def observed_share(self) -> float | None:
        return self.canary_decisions / self.decisions if self.decisions else None

    @property
    def expected_share(self) -> float | None:
        return self.expected_canary / self.decisions if self.decisions else None


@dataclass(frozen=True, slots=True)
class SequentialTest:
    verdict: Verdict
    reason: str
    llr: float
    upper: float
    lower: float
    ratio: float
    alpha: float
    beta: float
    #: Observed canary share of attempts over the whole window (each stratum has its own).
    share: float | None
    strata: int
    baseline_failures: int
    canary_failures: int
    min_attempts: int
    min_failures: int
    #: When the LLR first crossed the bound that decided the verdict.
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    attempts: dict[Version, int]
    failures: dict[Version, int]

    def failure_rate(self, version: Version) -> float | None:
        n = self.attempts[version]
        return self.failures[version] / n if n else None


@dataclass(frozen=True, slots=True)
class Report:
    rollout: str
    since: datetime
    until: datetime
    current_rate: float
    strategy: str
    #: The rollout's pair: the report compares its canary with its baseline.
    baseline_version: Version
    canary_version: Version
    versions: dict[Version, VersionStats]
    split: Split
    test: SequentialTest
    bucket_seconds: float
    buckets: list[Bucket] = field(default_factory=list)
    #: When the rollout's rate changed inside the window, oldest first (the chart marks them).
    rate_changes: list[datetime] = field(default_factory=list)

    @property
    def pair(self) -> tuple[Version, Version]:
        """(baseline, canary), in the order every table and chart shows them."""
        return self.baseline_version, self.canary_version

    @property
    def verdict_label(self) -> str:
        return verdict_label(self.test.verdict, self.canary_version)

    def to_json(self) -> dict[str, Any]:
        return {
            "rollout": self.rollout,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "current_rate": self.current_rate,
            "strategy": self.strategy,
            "baseline_version": self.baseline_version,
            "canary_version": self.canary_version,
            "definitions": DEFINITIONS,
            "versions": {f"v{v}": _version_json(self.versions[v]) for v in self.pair},
            "split": {
                "decisions": self.split.decisions,
                "canary_decisions": self.split.canary_decisions,
                "observed_share": self.split.observed_share,
                "expected_canary": self.split.expected_canary,
                "expected_share": self.split.expected_share,
                "z": _finite(self.split.z),
                "p_value": self.split.p_value,
                "mismatch": self.split.mismatch,
                "threshold": self.split.threshold,
                "excluded": self.split.excluded,
            },
            "verdict": {
                "verdict": self.verdict_label,
                "reason": self.test.reason,
                "llr": self.test.llr,
                "upper_bound": self.test.upper,
                "lower_bound": self.test.lower,
                "ratio": self.test.ratio,
                "alpha": self.test.alpha,
                "beta": self.test.beta,
                "share": self.test.share,
                "strata": self.test.strata,
                "baseline_failures": self.test.baseline_failures,
                "canary_failures": self.test.canary_failures,
                "min_attempts": self.test.min_attempts,
                "min_failures": self.test.min_failures,
                "decided_at": None
                if self.test.decided_at is None
                else self.test.decided_at.isoformat(),
            },
            "series": {
                "bucket_seconds": self.bucket_seconds,
                "buckets": [
                    {
                        "start": b.start.isoformat(),
                        **{
                            f"v{v}": {"attempts": b.attempts[v], "failures": b.failures[v]}
                            for v in self.pair
                        },
                    }
                    for b in self.buckets
                ],
            },
        }


def _finite(value: float | None) -> float | str | None:
    """JSON has no infinity: an infinite z (a mismatch at rate 0 or 1) is written as a string."""
    if value is None or math.isfinite(value):
        return value
    return "inf" if value > 0 else "-inf"


def _proportion_json(p: Proportion) -> dict[str, Any]:
    return {"count": p.count, "rate": p.value, "low": p.low, "high": p.high}


def _version_json(stats: VersionStats) -> dict[str, Any]:
    return {
        "attempts": stats.attempts,
        "outcomes": stats.outcomes,
        "success": _proportion_json(stats.success),
        "rejection": _proportion_json(stats.rejection),
        "failure": _proportion_json(stats.failure),
        "latency_ms": {"p50": stats.latency_p50_ms, "p95": stats.latency_p95_ms},
    }
