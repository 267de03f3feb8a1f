"""A guarded rollout's plan: what `canary rollout start` reads, checks, and starts the process with.

Pure (no I/O). Bad input raises `InputError` with one line naming the flag, before anything
is sent to Camunda:

- ``--steps`` are rates (``1%,5%,25%,50%,100%`` or fractions) above 0, strictly rising, each
  within 0..1. The rollout always ends at 100 % (like Argo Rollouts, a promoted rollout has
  moved everyone), so 100 % is appended when the list stops short of it. The 100 % step sets
  the rate and ends; there is nothing left to compare v2 with.
- ``--interval`` (how often a step is looked at) and ``--bake`` (how long a step runs at
  least) use the span grammar of `canary prune` (``90s``, ``15m``, ``6h``); the bake must be
  at least one interval, or no step could be judged.
- ``--approve-before`` names steps (by rate) that wait for a person's approval first.
- ``--min-attempts`` per version per step before a promotion; ``--max-failure-ratio`` r > 1,
  the effect the sequential test looks for (v2 failing r times as often as v1).
- ``--baseline`` / ``--canary`` (long forms ``--baseline-version`` / ``--canary-version``;
  the CLI fills an omitted one from the routing rollout, 1 and 2 for a new one) name the
  versions compared, so the same tool serves the next
  migration (2 -> 3). The first `set rate` writes the pair to the routing rollout (audited),
  which the rollout store allows only from rate 0 or 100 %.

`RolloutPlan.start_variables` is the start message's payload; `settings_from_variables` reads
the analysis settings back inside the `analyse` job.
"""

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from workers.durations import parse_span
from workers.errors import ConfigError, InputError
from workers.guarded.analysis import AnalysisSettings, Evidence
from workers.guarded.process import StepKey, Variable
from workers.routing import MAX_VERSION, format_rate, parse_rate
from workers.settings import check_rollout_name

DEFAULT_STEPS: Final = "1%,5%,25%,50%,100%"
DEFAULT_INTERVAL: Final = "1m"
DEFAULT_BAKE: Final = "10m"
DEFAULT_MIN_ATTEMPTS: Final = 100
DEFAULT_MAX_FAILURE_RATIO: Final = 2.0
#: Timers finer than this would make each look cost more than it tells.
MIN_INTERVAL: Final = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Step:
    number: int  # 1-based
    rate: float
    approve: bool

    @property
    def analysed(self) -> bool:
        """Steps below 100 % are judged; at 100 % there is no v1 traffic to compare with."""
        return self.rate < 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            StepKey.NUMBER: self.number,
            StepKey.RATE: self.rate,
            StepKey.APPROVE: self.approve,
            StepKey.ANALYSE: self.analysed,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RolloutPlan:
    rollout: str
    steps: tuple[Step, ...]
    interval: timedelta
    analysis: AnalysisSettings
    dry_run: bool

    @property
    def versions(self) -> tuple[int, int]:
        """(baseline, canary)."""
        return self.analysis.baseline_version, self.analysis.canary_version

    @property
    def bake(self) -> timedelta:
        return timedelta(seconds=self.analysis.bake_seconds)

    def start_variables(self) -> dict[str, Any]:
        """The start message's variables. Everything the process reads later is set here, so
        no FEEL condition ever meets a missing variable (null), and every variable lives at
        the process instance's root scope where Operate shows it."""
        a = self.analysis
        return {
            Variable.ROLLOUT_NAME: self.rollout,
            Variable.STEPS: [step.to_json() for step in self.steps],
            Variable.INTERVAL: iso_duration(self.interval),
            Variable.INTERVAL_SECONDS: self.interval.total_seconds(),
            Variable.BAKE_SECONDS: a.bake_seconds,
            Variable.MIN_ATTEMPTS: a.min_attempts,
            Variable.MAX_FAILURE_RATIO: a.max_failure_ratio,
            Variable.MAX_LATENCY_RATIO: a.max_latency_ratio,
            Variable.ALPHA: a.alpha,
            Variable.BETA: a.beta,
            Variable.BASELINE_VERSION: a.baseline_version,
            Variable.CANARY_VERSION: a.canary_version,
            Variable.DRY_RUN: self.dry_run,
            Variable.PROMOTE_FULL: False,
            Variable.EXPECTED_RATE: None,
            Variable.CURRENT_STEP: None,
            Variable.RATE_CHANGED_BY_HAND: False,
            Variable.STEP_LOOKS: 0,
            Variable.VERDICT: None,
            Variable.VERDICT_REASONS: [],
            Variable.FIGURES: None,
            Variable.EVIDENCE: Evidence().to_json(),
            Variable.HOLD_STARTED: False,
        }

    def describe(self) -> str:
        """One line, e.g. ``1% -> 5% -> 50% (approve) -> 100%, every 1m, bake 10m``."""
        steps = " -> ".join(
            format_rate(s.rate) + (" (approve)" if s.approve else "") for s in self.steps
        )
        dry = ", dry run" if self.dry_run else ""
        return (
            f"{self.rollout}: {steps}, look every {_span(self.interval)}, bake"
            f" {_span(self.bake)}, min {self.analysis.min_attempts} attempts per version,"
            f" v{self.analysis.canary_version} vs v{self.analysis.baseline_version}{dry}"
        )


def iso_duration(span: timedelta) -> str:
    """A timer duration Zeebe reads: ``PT60S``, ``PT0.5S``."""
    seconds = span.total_seconds()
    return f"PT{int(seconds)}S" if seconds.is_integer() else f"PT{seconds:g}S"


def _span(span: timedelta) -> str:
    seconds = span.total_seconds()
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _rates(text: str, *, flag: str) -> list[float]:
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise InputError(f"{flag} {text!r} must be a comma-separated list of rates, e.g. 5%,50%")
    try:
        return [parse_rate(part) for part in parts]
    except ValueError as exc:
        raise InputError(f"{flag}: {exc}") from None


def parse_steps(text: str) -> list[float]:
    rates = _rates(text, flag="--steps")
    if rates[0] <= 0:
        raise InputError("--steps: a step of 0% sends nobody to the canary; start above 0")
    for before, after in itertools.pairwise(rates):
        if after <= before:
            raise InputError(
                f"--steps must rise: {format_rate(after)} follows {format_rate(before)}"
            )
    if rates[-1] < 1.0:
        rates.append(1.0)
    return rates


def _positive_int(value: int, *, flag: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{flag} must be a whole number of at least 1, got {value!r}")
    return value


def _check_versions(baseline: int, canary: int) -> None:
    for version, flag in ((baseline, "--baseline"), (canary, "--canary")):
        _positive_int(version, flag=flag)
        if version > MAX_VERSION:
            raise InputError(f"{flag} must be at most {MAX_VERSION}, got {version}")
    if baseline == canary:
        raise InputError(f"--baseline and --canary must differ, got v{baseline} for both")


def plan_rollout(
    *,
    rollout: str,
    steps: str = DEFAULT_STEPS,
    interval: str = DEFAULT_INTERVAL,
    bake: str = DEFAULT_BAKE,
    approve_before: str | None = None,
    min_attempts: int = DEFAULT_MIN_ATTEMPTS,
    max_failure_ratio: float = DEFAULT_MAX_FAILURE_RATIO,
    baseline_version: int = 1,
    canary_version: int = 2,
    dry_run: bool = False,
) -> RolloutPlan:
    """Check everything a rollout start needs; `InputError` with one line on the first fault."""
    try:
        check_rollout_name(rollout)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    rates = parse_steps(steps)
    look = parse_span(interval, flag="--interval")
    if look < MIN_INTERVAL:
        raise InputError(f"--interval {interval!r} is shorter than 1s")
    baked = parse_span(bake, flag="--bake")
    if baked < look:
        raise InputError(
            f"--bake {bake} is shorter than --interval {interval}: no step could be judged"
        )
    gates: set[float] = set()
    if approve_before is not None:
        for rate in _rates(approve_before, flag="--approve-before"):
            if rate not in rates:
                listed = ", ".join(format_rate(r) for r in rates)
                raise InputError(
                    f"--approve-before {format_rate(rate)} is not one of the steps ({listed})"
                )
            gates.add(rate)
    _positive_int(min_attempts, flag="--min-attempts")
    if not (math.isfinite(max_failure_ratio) and max_failure_ratio > 1):
        raise InputError(f"--max-failure-ratio must be greater than 1, got {max_failure_ratio}")
    _check_versions(baseline_version, canary_version)
    analysis = AnalysisSettings(
        min_attempts=min_attempts,
        max_failure_ratio=max_failure_ratio,
        bake_seconds=baked.total_seconds(),
        baseline_version=baseline_version,
        canary_version=canary_version,
    )
    return RolloutPlan(
        rollout=rollout,
        steps=tuple(
            Step(number, rate, approve=rate in gates) for number, rate in enumerate(rates, 1)
        ),
        interval=look,
        analysis=analysis,
        dry_run=dry_run,
    )


def settings_from_variables(variables: Mapping[str, Any]) -> AnalysisSettings:
    """The analysis settings a running rollout was started with (`ValueError` if malformed)."""
    try:
        return AnalysisSettings(
            min_attempts=int(variables[Variable.MIN_ATTEMPTS]),
            max_failure_ratio=float(variables[Variable.MAX_FAILURE_RATIO]),
            bake_seconds=float(variables[Variable.BAKE_SECONDS]),
            alpha=float(variables[Variable.ALPHA]),
            beta=float(variables[Variable.BETA]),
            max_latency_ratio=float(variables[Variable.MAX_LATENCY_RATIO]),
            baseline_version=int(variables[Variable.BASELINE_VERSION]),
            canary_version=int(variables[Variable.CANARY_VERSION]),
        )
    except KeyError as exc:
        raise ValueError(f"process variable {exc.args[0]} is missing") from None
    except TypeError as exc:
        raise ValueError(f"a rollout setting has the wrong type: {exc}") from None
