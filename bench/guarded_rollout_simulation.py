"""Issue 12 benchmark: the guarded rollout's analysis over simulated outcome streams.

    .venv/bin/python bench/guarded_rollout_simulation.py [--rollouts 2000] [--seed 12]

No engine and no database: each simulated rollout walks the default plan's judged steps
(1 %, 5 %, 25 %, 50 %; the final 100 % is not judged) and calls `workers.guarded.analysis.analyse`
once per interval with the step's cumulative figures, exactly as the `analyse` job would,
carrying the evidence from look to look and step to step. Per interval 200 attempts arrive;
each goes to the canary with the step's rate; each fails with its version's failure rate, and
a tenth of the failures are incidents. p95 latency: both versions log-normal (median 100 ms,
sigma 0.5); each look draws the p95 of the step's n attempts from its exact order-statistic
law (Beta(k, n - k + 1) through the quantile function), independently per look, which makes
the latency guard look noisier than it is (the conservative direction).

1. False rollbacks under A/A (v2 = v1), at v1 failure rates of 1 % and 15 % (the stand-in's
   v1). Must be at or below alpha (0.05); a 95 % Wilson interval is printed with it.
2. Attempts on v2 until rollback when v2 fails 3 %, 5 % and 10 % with v1 at 1 %: median and
   95th percentile over the rollouts that rolled back, and how many promoted anyway.
3. The cost of one `analyse` call (the pure decision, no query).

Settings: min 100 attempts per version per step, bake 10 intervals, max failure ratio 2,
alpha 0.05, beta 0.2, max latency ratio 1.5 (the plan's defaults).
"""

import argparse
import math
import statistics
import sys
import timeit
from dataclasses import dataclass
from pathlib import Path

# numpy comes with matplotlib (the report's charts); binomial and beta draws in pure Python
# would make 2 000 rollouts take minutes instead of seconds.
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import percentile, report

from workers.guarded.analysis import (
    AnalysisSettings,
    Decision,
    Evidence,
    StepFigures,
    VersionFigures,
    analyse,
)
from workers.stats import wilson

STEPS = (0.01, 0.05, 0.25, 0.5)
ATTEMPTS_PER_INTERVAL = 200
INTERVAL_SECONDS = 60.0
INCIDENT_SHARE = 0.1
#: A step that has not decided after this many looks counts as stuck (never seen here).
MAX_LOOKS_PER_STEP = 2000
LATENCY = statistics.NormalDist(mu=math.log(100.0), sigma=0.5)
SETTINGS = AnalysisSettings(
    min_attempts=100, max_failure_ratio=2.0, bake_seconds=10 * INTERVAL_SECONDS
)


@dataclass
class Outcome:
    rolled_back: bool
    canary_attempts: int  # over the whole rollout, up to the decision
    looks: int
    #: Which guards tripped: "failures", "incidents", "latency".
    guards: tuple[str, ...] = ()


def guards_of(reasons: tuple[str, ...]) -> tuple[str, ...]:
    words = {"fails more often": "failures", "more incidents": "incidents", "p95": "latency"}
    return tuple(name for text, name in words.items() if any(text in r for r in reasons))


@dataclass
class Counts:
    attempts: int = 0
    failures: int = 0
    incidents: int = 0

    def add(self, attempts: int, failures: int, incidents: int) -> None:
        self.attempts += attempts
        self.failures += failures
        self.incidents += incidents

    def figures(self, rng: np.random.Generator) -> VersionFigures:
        return VersionFigures(self.attempts, self.failures, self.incidents, p95(self.attempts, rng))


def p95(n: int, rng: np.random.Generator) -> float | None:
    """A draw of the p95 of n log-normal latencies (the k-th order statistic, k = ceil 0.95 n)."""
    if n == 0:
        return None
    k = math.ceil(0.95 * n)
    u = min(max(rng.beta(k, n - k + 1), 1e-12), 1 - 1e-12)
    return math.exp(LATENCY.inv_cdf(u))


def rollout(rng: np.random.Generator, *, v1_failure: float, v2_failure: float) -> Outcome:
    evidence = Evidence()
    canary_total = 0
    looks = 0
    for rate in STEPS:
        base, canary = Counts(), Counts()
        before = StepFigures()
        for look in range(1, MAX_LOOKS_PER_STEP + 1):
            looks += 1
            n_c = int(rng.binomial(ATTEMPTS_PER_INTERVAL, rate))
            n_b = ATTEMPTS_PER_INTERVAL - n_c
            f_c = int(rng.binomial(n_c, v2_failure))
            f_b = int(rng.binomial(n_b, v1_failure))
            canary.add(n_c, f_c, int(rng.binomial(f_c, INCIDENT_SHARE)))
            base.add(n_b, f_b, int(rng.binomial(f_b, INCIDENT_SHARE)))
            canary_total += n_c
            now = StepFigures(base.figures(rng), canary.figures(rng))
            verdict = analyse(
                now,
                before=before,
                evidence=evidence,
                settings=SETTINGS,
                elapsed_seconds=look * INTERVAL_SECONDS,
            )
            evidence, before = verdict.evidence, now
            if verdict.decision is Decision.ROLLBACK:
                return Outcome(
                    rolled_back=True,
                    canary_attempts=canary_total,
                    looks=looks,
                    guards=guards_of(verdict.reasons),
                )
            if verdict.decision is Decision.PROMOTE:
                break
        else:
            msg = f"a step at {rate} did not decide in {MAX_LOOKS_PER_STEP} looks"
            raise RuntimeError(msg)
    return Outcome(rolled_back=False, canary_attempts=canary_total, looks=looks)


def false_rollbacks(rng: np.random.Generator, rollouts: int, *, failure: float) -> None:
    outcomes = [rollout(rng, v1_failure=failure, v2_failure=failure) for _ in range(rollouts)]
    back = sum(o.rolled_back for o in outcomes)
    interval = wilson(back, rollouts)
    by_guard = {
        g: sum(g in o.guards for o in outcomes) for g in ("failures", "incidents", "latency")
    }
    report(
        f"A/A at {failure:.0%} failures: rollouts rolled back",
        f"{back} of {rollouts} = {back / rollouts:.2%}"
        f" (95 % CI {interval.low:.2%}..{interval.high:.2%}),"
        f" {statistics.median(o.looks for o in outcomes):.0f} looks per rollout (median);"
        f" by guard: {by_guard}",
        f"<= alpha {SETTINGS.alpha:.0%}",
    )


def detection(rng: np.random.Generator, rollouts: int, *, v2_failure: float) -> None:
    outcomes = [rollout(rng, v1_failure=0.01, v2_failure=v2_failure) for _ in range(rollouts)]
    caught = [o.canary_attempts for o in outcomes if o.rolled_back]
    promoted = rollouts - len(caught)
    report(
        f"v2 at {v2_failure:.0%} (v1 1%): v2 attempts until rollback",
        f"median {statistics.median(caught):.0f}, p95 {percentile(caught, 95):.0f};"
        f" promoted anyway: {promoted} of {rollouts}",
    )


def analyse_cost() -> None:
    now = StepFigures(VersionFigures(5000, 50, 5, 120.0), VersionFigures(250, 4, 0, 130.0))
    before = StepFigures(VersionFigures(4800, 48, 5, 120.0), VersionFigures(240, 4, 0, 130.0))
    calls = 20_000
    best = min(
        timeit.repeat(
            lambda: analyse(
                now, before=before, evidence=Evidence(), settings=SETTINGS, elapsed_seconds=900
            ),
            number=calls,
            repeat=5,
        )
    )
    report("`analyse` per call (pure decision, best of 5 x 20 000)", f"{best / calls * 1e6:.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=2000, help="A/A rollouts per rate")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for failure in (0.01, 0.15):
        false_rollbacks(rng, args.rollouts, failure=failure)
    for v2_failure in (0.03, 0.05, 0.10):
        detection(rng, max(args.rollouts // 2, 1), v2_failure=v2_failure)
    analyse_cost()


if __name__ == "__main__":
    main()
