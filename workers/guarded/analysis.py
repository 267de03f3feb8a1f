"""The verdict of one look at a guarded rollout's step: rollback, continue or promote.

Pure: no I/O, no clock. The `analyse` job reads the figures (figures.py) and calls `analyse`.

What decides
------------
- **Rollback** as soon as one guard trips: the sequential test on where technical failures
  land says v2 fails more often than v1; the same test on incidents; or v2's p95 latency is
  `max_latency_ratio` times v1's (checked once both versions have `min_attempts`).
- **Continue** while the step's bake time is not over or either version has fewer than
  `min_attempts` attempts in the step. A step whose bake is over but whose data is still thin
  is *holding* (the process notifies once when that starts).
- **Promote** only when the bake is over, both versions have the minimum sample and no guard
  tripped.

The error rates, and why they hold over a whole rollout
-------------------------------------------------------
The failure test is the report's (workers/stats.py, CANARY.md): under H0 a failure is
on the canary with probability s (the canary's share of the attempts), under H1 ("v2 fails
`max_failure_ratio` times as often") with p1 = r s / (r s + 1 - s). Here the share is taken
per *look*: each look adds the log-likelihood ratio of the failures recorded since the
previous look, with the share of the attempts recorded in that interval, and the sum runs
over every look of every step of the rollout (the running total is the ``evidence`` process
variable). The rollout rolls back when that total reaches ln(1 / alpha_f).

Why that keeps the false-rollback probability at or below alpha, however many looks and steps:
given an interval's attempts (n_c, n_b) and its K failures, if both versions fail alike, the
canary's failures are hypergeometric (K drawn from n_c + n_b attempts). The increment's
likelihood ratio is exp(linear in f_c), a convex function, and Hoeffding (1963) showed that
drawing without replacement is dominated in convex order by drawing with replacement, so its
expectation is at most its expectation under the binomial model, which is exactly 1. The
product of the increments is therefore a non-negative supermartingale under H0 with start 1,
and Ville's inequality bounds the chance that it *ever* reaches 1 / alpha_f by alpha_f. The
Wald boundary ln((1 - beta) / alpha) of `canary report` would only give alpha / (1 - beta).

The incident test is the same test on incidents alone (they are rare, and v2-only incidents
should not wait for the failure total). The two tests split alpha: alpha_f = 0.8 alpha,
alpha_i = 0.2 alpha, so by the union bound the chance that either ever rolls a healthy v2
back is at most alpha. The latency guard is a plain threshold, outside that budget: it is
for gross regressions, and bench/guarded_rollout_simulation.py measures the A/A rollback
rate of all three guards together.

Carrying the evidence across steps (rather than starting each step at 0, or clamping at 0 as
a CUSUM would) is what keeps alpha for the whole rollout; restarting at every step would give
up to (steps x alpha). The price: healthy evidence from early steps (a negative total) delays
the rollback of a v2 that turns bad later; the guards on incidents and latency do not carry
that credit.

beta is not a stopping boundary here (promotion waits for the bake and the minimum sample,
not for evidence of health); the verdict reports whether the total is below Wald's lower
bound ln(beta / (1 - alpha)), i.e. whether the data already say "v2 no worse" at that power.

Assumptions: attempts of both versions in one interval run under the same conditions (they
run at the same time, which is the point of a canary), and attempts fail independently. A
job retried after a transient failure records several attempts, so one bad job counts up to
its retries: such clustered failures make the test react faster than its stated error rates
(in both directions), and the benchmark, which draws independent attempts, does not show it.
"""

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from workers.stats import failure_llr

#: The incident test's share of alpha; the failure test gets the rest.
INCIDENT_ALPHA_SHARE = 0.2


class Decision(StrEnum):
    """The values of the ``verdict`` process variable; the model's gateway names them."""

    ROLLBACK = "rollback"
    CONTINUE = "continue"
    PROMOTE = "promote"


#: How strongly a decision acts: a guard may only move a verdict up this order.
SEVERITY = {Decision.PROMOTE: 0, Decision.CONTINUE: 1, Decision.ROLLBACK: 2}


@dataclass(frozen=True, slots=True)
class VersionFigures:
    """One version's attempts since the step began: all, technical failures, incidents."""

    attempts: int = 0
    failures: int = 0
    incidents: int = 0
    p95_ms: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.incidents <= self.failures <= self.attempts:
            msg = (
                "figures must satisfy 0 <= incidents <= failures <= attempts, got "
                f"{self.incidents}, {self.failures}, {self.attempts}"
            )
            raise ValueError(msg)
        if self.p95_ms is not None and not (math.isfinite(self.p95_ms) and self.p95_ms >= 0):
            msg = f"p95 latency must be a non-negative number, got {self.p95_ms!r}"
            raise ValueError(msg)

    def to_json(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "failures": self.failures,
            "incidents": self.incidents,
            "p95Ms": self.p95_ms,
        }

    @classmethod
    def from_json(cls, data: Any) -> "VersionFigures":
        if not isinstance(data, dict):
            return cls()
        p95 = data.get("p95Ms")
        return cls(
            attempts=int(data.get("attempts", 0)),
            failures=int(data.get("failures", 0)),
            incidents=int(data.get("incidents", 0)),
            p95_ms=None if p95 is None else float(p95),
        )


@dataclass(frozen=True, slots=True)
class StepFigures:
    """Both versions' figures since the step began (cumulative)."""

    baseline: VersionFigures = field(default_factory=VersionFigures)
    canary: VersionFigures = field(default_factory=VersionFigures)

    @property
    def canary_share(self) -> float | None:
        total = self.baseline.attempts + self.canary.attempts
        return self.canary.attempts / total if total else None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Running log-likelihood ratios of the rollout, over every look of every step."""

    failure_llr: float = 0.0
    incident_llr: float = 0.0

    def plus(self, other: "Evidence") -> "Evidence":
        return Evidence(
            self.failure_llr + other.failure_llr, self.incident_llr + other.incident_llr
        )

    def to_json(self) -> dict[str, float]:
        return {"failureLlr": self.failure_llr, "incidentLlr": self.incident_llr}

    @classmethod
    def from_json(cls, data: Any) -> "Evidence":
        if not isinstance(data, dict):
            return cls()
        return cls(float(data.get("failureLlr", 0.0)), float(data.get("incidentLlr", 0.0)))


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisSettings:
    """A rollout's guard settings; `ValueError` with one line when one is out of range."""

    min_attempts: int
    max_failure_ratio: float
    bake_seconds: float
    alpha: float = 0.05
    beta: float = 0.2
    max_latency_ratio: float = 1.5
    baseline_version: int = 1
    canary_version: int = 2

    def __post_init__(self) -> None:
        if self.min_attempts < 1:
            raise ValueError(f"the minimum attempts must be at least 1, got {self.min_attempts}")
        if not (math.isfinite(self.max_failure_ratio) and self.max_failure_ratio > 1):
            msg = f"the max failure ratio must be greater than 1, got {self.max_failure_ratio}"
            raise ValueError(msg)
        if not (math.isfinite(self.bake_seconds) and self.bake_seconds >= 0):
            raise ValueError(f"the bake time must not be negative, got {self.bake_seconds}")
        if not (0 < self.alpha < 1 and 0 < self.beta < 1 and self.alpha + self.beta < 1):
            raise ValueError("alpha and beta must be between 0 and 1, with alpha + beta < 1")
        if not (math.isfinite(self.max_latency_ratio) and self.max_latency_ratio > 1):
            msg = f"the max latency ratio must be greater than 1, got {self.max_latency_ratio}"
            raise ValueError(msg)
        if self.baseline_version == self.canary_version:
            raise ValueError("the baseline and canary versions must differ")

    @property
    def failure_bound(self) -> float:
        """ln(1 / alpha_f): Ville's bound for the failure test's share of alpha."""
        return -math.log(self.alpha * (1 - INCIDENT_ALPHA_SHARE))

    @property
    def incident_bound(self) -> float:
        return -math.log(self.alpha * INCIDENT_ALPHA_SHARE)

    @property
    def healthy_bound(self) -> float:
        """Wald's lower bound: below it the data say "v2 no worse" at power 1 - beta."""
        return math.log(self.beta / (1 - self.alpha))


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    #: Why, one short sentence each, for Operate, the notification and the audit trail.
    reasons: tuple[str, ...]
    #: Running total after this look; the next look starts from it.
    evidence: Evidence
    #: What this look added.
    increment: Evidence
    latency_ratio: float | None
    #: The bake is over but the data are still too thin to promote.
    holding: bool
    #: The failure evidence is below Wald's lower bound ("v2 no worse" at power 1 - beta).
    no_worse: bool


def _delta(now: VersionFigures, before: VersionFigures) -> VersionFigures:
    """What an interval added. Counts only grow; if retention deleted rows meanwhile, the
    interval counts as empty rather than negative."""
    attempts = max(0, now.attempts - before.attempts)
    failures = min(attempts, max(0, now.failures - before.failures))
    incidents = min(failures, max(0, now.incidents - before.incidents))
    return VersionFigures(attempts, failures, incidents)


def _increment(now: StepFigures, before: StepFigures, *, ratio: float) -> Evidence:
    baseline = _delta(now.baseline, before.baseline)
    canary = _delta(now.canary, before.canary)
    share = StepFigures(baseline, canary).canary_share
    if share is None:
        return Evidence()
    return Evidence(
        failure_llr(
            canary_failures=canary.failures,
            baseline_failures=baseline.failures,
            share=share,
            ratio=ratio,
        ),
        failure_llr(
            canary_failures=canary.incidents,
            baseline_failures=baseline.incidents,
            share=share,
            ratio=ratio,
        ),
    )


def _latency_ratio(figures: StepFigures, settings: AnalysisSettings) -> float | None:
    base, canary = figures.baseline, figures.canary
    enough = min(base.attempts, canary.attempts) >= settings.min_attempts
    if not enough or base.p95_ms is None or canary.p95_ms is None or base.p95_ms <= 0:
        return None
    return canary.p95_ms / base.p95_ms


def analyse(
    figures: StepFigures,
    *,
    before: StepFigures,
    evidence: Evidence,
    settings: AnalysisSettings,
    elapsed_seconds: float,
) -> Verdict:
    """Decide one look.

    `figures` are the step's cumulative figures now, `before` the same at the previous look of
    this step (empty at the first), `evidence` the running total before this look.
    """
    v_base, v_canary = f"v{settings.baseline_version}", f"v{settings.canary_version}"
    increment = _increment(figures, before, ratio=settings.max_failure_ratio)
    total = evidence.plus(increment)
    latency_ratio = _latency_ratio(figures, settings)
    no_worse = total.failure_llr <= settings.healthy_bound

    worse: list[str] = []
    if total.failure_llr >= settings.failure_bound:
        worse.append(
            f"{v_canary} fails more often than {v_base}: failure LLR "
            f"{total.failure_llr:.2f} >= {settings.failure_bound:.2f}"
        )
    if total.incident_llr >= settings.incident_bound:
        worse.append(
            f"{v_canary} has more incidents than {v_base}: incident LLR "
            f"{total.incident_llr:.2f} >= {settings.incident_bound:.2f}"
        )
    if latency_ratio is not None and latency_ratio >= settings.max_latency_ratio:
        worse.append(
            f"{v_canary}'s p95 latency is {latency_ratio:.2f} times {v_base}'s"
            f" (limit {settings.max_latency_ratio:g})"
        )
    if worse:
        return Verdict(
            Decision.ROLLBACK,
            tuple(worse),
            total,
            increment,
            latency_ratio,
            holding=False,
            no_worse=no_worse,
        )

    thin: list[str] = []
    if elapsed_seconds < settings.bake_seconds:
        thin.append(f"baking: {elapsed_seconds:g} s of {settings.bake_seconds:g} s")
    for name, version in ((v_base, figures.baseline), (v_canary, figures.canary)):
        if version.attempts < settings.min_attempts:
            thin.append(f"{name} has {version.attempts} of {settings.min_attempts} attempts")
    if thin:
        holding = elapsed_seconds >= settings.bake_seconds
        return Verdict(
            Decision.CONTINUE,
            tuple(thin),
            total,
            increment,
            latency_ratio,
            holding=holding,
            no_worse=no_worse,
        )

    passed = (
        f"bake over, both versions have {settings.min_attempts}+ attempts, nothing says"
        f" {v_canary} is worse (failure LLR {total.failure_llr:.2f} < {settings.failure_bound:.2f})"
    )
    return Verdict(
        Decision.PROMOTE,
        (passed,),
        total,
        increment,
        latency_ratio,
        holding=False,
        no_worse=no_worse,
    )
