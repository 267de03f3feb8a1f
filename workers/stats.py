"""The arithmetic behind `canary report` and the guarded rollout's analysis: pure, no I/O.

Sequential test (from the team's guide, CANARY.md): look only at where technical failures
land. With canary share s of the attempts, under H0 ("v2 fails as often as v1") each failure is
on the canary with probability p0 = s; under H1 ("v2 fails `ratio` times as often") with
p1 = r s / (r s + 1 - s). The log-likelihood ratio of f_c canary and f_b baseline failures is

    LLR = f_c ln(p1 / p0) + f_b ln((1 - p1) / (1 - p0))

and Wald's bounds are ln((1 - beta) / alpha) above ("v2 worse") and ln(beta / (1 - alpha))
below ("v2 no worse"). The likelihood ratio is a martingale under H0, so by Ville's inequality
the chance it *ever* reaches the upper bound is at most alpha / (1 - beta), however often it is
looked at: that is what makes the verdict safe to check continuously, unlike a fixed-horizon
test such as Fisher's. Symmetrically, under H1 the chance of ever reaching the lower bound is
at most beta / (1 - alpha).

When the rate changes, the share of traffic changes with it; the LLR is then summed over
strata (periods of constant configured rate), each with its own observed share.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: Two-sided 95 % normal quantile.
Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Proportion:
    """count / total with a Wilson score interval; value and bounds are None when total is 0."""

    count: int
    total: int
    value: float | None
    low: float | None
    high: float | None


def wilson(count: int, total: int, *, z: float = Z95) -> Proportion:
    """The Wilson score interval: sensible at 0 and at total, unlike the normal approximation."""
    if not 0 <= count <= total:
        msg = f"count {count} must be between 0 and total {total}"
        raise ValueError(msg)
    if total == 0:
        return Proportion(count, total, None, None, None)
    p = count / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    # At 0 and at total the interval touches the edge exactly (not 1 - 1e-16).
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == total else min(1.0, centre + half)
    return Proportion(count, total, p, low, high)


def sprt_bounds(*, alpha: float, beta: float) -> tuple[float, float]:
    """Wald's (upper, lower) bounds on the LLR for error levels alpha and beta."""
    if not (0 < alpha < 1 and 0 < beta < 1 and alpha + beta < 1):
        msg = "alpha and beta must be between 0 and 1, with alpha + beta < 1"
        raise ValueError(msg)
    return math.log((1 - beta) / alpha), math.log(beta / (1 - alpha))


def canary_failure_probability(share: float, *, ratio: float) -> float:
    """p1: the chance a failure is on the canary if the canary fails `ratio` times as often."""
    return ratio * share / (ratio * share + 1 - share)


def failure_llr(
    *, canary_failures: int, baseline_failures: int, share: float, ratio: float
) -> float:
    """LLR of H1 (canary fails `ratio` times as often) against H0 (as often), one stratum.

    A stratum where only one version ran (share 0 or 1) says nothing about the ratio: 0.
    """
    if ratio <= 1:
        msg = f"ratio must be greater than 1, got {ratio}"
        raise ValueError(msg)
    if not 0 < share < 1:
        return 0.0
    p0 = share
    p1 = canary_failure_probability(share, ratio=ratio)
    return canary_failures * math.log(p1 / p0) + baseline_failures * math.log((1 - p1) / (1 - p0))


@dataclass(frozen=True, slots=True)
class Stratum:
    """Attempts and technical failures of both versions in one period of constant rate."""

    baseline_attempts: int
    canary_attempts: int
    baseline_failures: int
    canary_failures: int

    @property
    def share(self) -> float | None:
        total = self.baseline_attempts + self.canary_attempts
        return self.canary_attempts / total if total else None


def stratified_llr(strata: Iterable[Stratum], *, ratio: float) -> float:
    return sum(
        failure_llr(
            canary_failures=s.canary_failures,
            baseline_failures=s.baseline_failures,
            share=s.share,
            ratio=ratio,
        )
        for s in strata
        if s.share is not None
    )


@dataclass(frozen=True, slots=True)
class SplitTest:
    """Observed v2 decisions against the sum of the rates they were made with."""

    z: float | None
    p_value: float | None


def split_test(*, observed_v2: int, expected_v2: float, variance: float) -> SplitTest:
    """Two-sided z-test of a sample-ratio mismatch.

    Each sticky or random decision i is v2 with probability r_i (the rate in force), so the v2
    count has mean sum(r_i) and variance sum(r_i (1 - r_i)). With zero variance (rates of 0 or
    1 only) any difference is a certain mismatch.
    """
    if variance <= 0:
        if abs(observed_v2 - expected_v2) < 0.5:  # counts are whole numbers
            return SplitTest(0.0, 1.0)
        return SplitTest(math.inf if observed_v2 > expected_v2 else -math.inf, 0.0)
    z = (observed_v2 - expected_v2) / math.sqrt(variance)
    return SplitTest(z, math.erfc(abs(z) / math.sqrt(2)))
