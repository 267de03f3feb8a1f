"""The guarded rollout's verdict: when it rolls back, holds and promotes, and its invariants."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.guarded.analysis import (
    SEVERITY,
    AnalysisSettings,
    Decision,
    Evidence,
    StepFigures,
    VersionFigures,
    analyse,
)

KNOBS = AnalysisSettings(min_attempts=100, max_failure_ratio=2, bake_seconds=600)
EMPTY = StepFigures()


def figures(*, base=(1000, 10, 0), canary=(1000, 10, 0), p95=(None, None)) -> StepFigures:
    return StepFigures(VersionFigures(*base, p95_ms=p95[0]), VersionFigures(*canary, p95_ms=p95[1]))


NO_EVIDENCE = Evidence()


def look(now: StepFigures, *, elapsed=600.0, evidence=NO_EVIDENCE, before=EMPTY, knobs=KNOBS):
    return analyse(now, before=before, evidence=evidence, settings=knobs, elapsed_seconds=elapsed)


# -- examples ---------------------------------------------------------------------------------


def test_alike_versions_after_the_bake_with_enough_attempts_promote():
    verdict = look(figures())
    assert verdict.decision is Decision.PROMOTE
    assert "nothing says v2 is worse" in verdict.reasons[0]


def test_thin_data_continues_and_says_what_is_missing():
    verdict = look(figures(canary=(40, 0, 0)), elapsed=120)
    assert verdict.decision is Decision.CONTINUE
    assert verdict.reasons == ("baking: 120 s of 600 s", "v2 has 40 of 100 attempts")
    assert verdict.holding is False


def test_thin_data_after_the_bake_is_holding():
    verdict = look(figures(canary=(40, 0, 0)), elapsed=900)
    assert verdict.decision is Decision.CONTINUE
    assert verdict.holding is True


def test_many_more_canary_failures_roll_back_before_the_bake_and_the_minimum_sample():
    verdict = look(figures(base=(950, 5, 0), canary=(50, 12, 0)), elapsed=60)
    assert verdict.decision is Decision.ROLLBACK
    assert verdict.reasons[0].startswith("v2 fails more often than v1: failure LLR")


def test_the_rollback_bound_is_villes_for_the_failure_tests_share_of_alpha():
    assert KNOBS.failure_bound == pytest.approx(math.log(1 / (0.05 * 0.8)))
    assert KNOBS.incident_bound == pytest.approx(math.log(1 / (0.05 * 0.2)))


def test_incidents_only_on_the_canary_roll_back_on_their_own_test():
    # Failures alike overall, but every canary failure is an incident.
    verdict = look(figures(base=(900, 90, 0), canary=(100, 10, 10)), elapsed=60)
    assert verdict.decision is Decision.ROLLBACK
    assert any("more incidents" in reason for reason in verdict.reasons)


def test_p95_latency_ratio_guard_rolls_back_once_both_have_the_minimum_sample():
    slow = figures(p95=(200.0, 400.0))
    assert look(slow).decision is Decision.ROLLBACK
    assert look(slow).latency_ratio == pytest.approx(2.0)
    thin = figures(canary=(50, 0, 0), p95=(200.0, 400.0))
    assert look(thin).latency_ratio is None
    assert look(thin).decision is Decision.CONTINUE


def test_evidence_accumulates_over_looks_and_steps():
    """The next look starts from the running total: earlier steps' evidence still counts."""
    first = look(figures(base=(950, 5, 0), canary=(50, 3, 0)), elapsed=60)
    assert first.decision is Decision.CONTINUE
    assert first.evidence.failure_llr > 0
    # A new step (before = empty) with a little more evidence crosses the bound.
    again = figures(base=(950, 5, 0), canary=(50, 3, 0))
    second = look(again, elapsed=60, evidence=first.evidence)
    assert second.evidence.failure_llr == pytest.approx(2 * first.evidence.failure_llr)
    assert second.decision is Decision.ROLLBACK


def test_a_look_counts_only_what_was_recorded_since_the_previous_look():
    now = figures(base=(2000, 20, 0), canary=(200, 4, 0))
    before = figures(base=(1000, 10, 0), canary=(100, 2, 0))
    increment = look(now, before=before).increment
    assert increment == look(before).increment


def test_rows_deleted_between_looks_count_as_an_empty_interval():
    now = figures(base=(10, 0, 0), canary=(10, 0, 0))
    before = figures(base=(1000, 10, 0), canary=(100, 2, 0))
    assert look(now, before=before).increment == Evidence()


def test_no_attempts_at_all_add_no_evidence_and_continue():
    verdict = look(EMPTY, elapsed=0)
    assert verdict.increment == Evidence()
    assert verdict.decision is Decision.CONTINUE


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_attempts": 0}, "minimum attempts"),
        ({"max_failure_ratio": 1}, "max failure ratio"),
        ({"bake_seconds": -1}, "bake time"),
        ({"alpha": 0.6, "beta": 0.5}, "alpha"),
        ({"max_latency_ratio": 0.9}, "max latency ratio"),
        ({"canary_version": 1}, "must differ"),
    ],
)
def test_settings_out_of_range_are_refused_with_one_line(kwargs, message):
    base = {"min_attempts": 100, "max_failure_ratio": 2.0, "bake_seconds": 600.0}
    with pytest.raises(ValueError, match=message):
        AnalysisSettings(**(base | kwargs))


def test_figures_that_cannot_be_are_refused():
    with pytest.raises(ValueError, match="incidents <= failures <= attempts"):
        VersionFigures(attempts=3, failures=4)


def test_figures_and_evidence_survive_the_trip_through_process_variables():
    original = VersionFigures(120, 7, 2, p95_ms=310.5)
    assert VersionFigures.from_json(original.to_json()) == original
    assert Evidence.from_json(Evidence(1.5, -0.25).to_json()) == Evidence(1.5, -0.25)
    assert Evidence.from_json(None) == Evidence()


# -- invariants -------------------------------------------------------------------------------


@st.composite
def version_figures(draw, max_attempts=3000):
    attempts = draw(st.integers(0, max_attempts))
    failures = draw(st.integers(0, attempts))
    incidents = draw(st.integers(0, failures))
    p95 = draw(st.none() | st.floats(1, 5000))
    return VersionFigures(attempts, failures, incidents, p95)


step_figures = st.builds(StepFigures, version_figures(), version_figures())
knobs = st.builds(
    AnalysisSettings,
    min_attempts=st.integers(1, 1000),
    max_failure_ratio=st.floats(1.1, 10),
    bake_seconds=st.floats(0, 7200),
    alpha=st.floats(0.001, 0.2),
    beta=st.floats(0.01, 0.5),
    max_latency_ratio=st.floats(1.1, 5),
)
evidence = st.builds(Evidence, st.floats(-50, 10), st.floats(-50, 10))
elapsed = st.floats(0, 10_000)


@settings(max_examples=300)
@given(step_figures, knobs, evidence, elapsed)
def test_never_promotes_before_the_bake_below_the_minimum_or_past_a_bound(now, k, prior, t):
    verdict = look(now, elapsed=t, evidence=prior, knobs=k)
    if verdict.decision is Decision.PROMOTE:
        assert t >= k.bake_seconds
        assert now.baseline.attempts >= k.min_attempts
        assert now.canary.attempts >= k.min_attempts
        assert verdict.evidence.failure_llr < k.failure_bound
        assert verdict.evidence.incident_llr < k.incident_bound
        assert verdict.latency_ratio is None or verdict.latency_ratio < k.max_latency_ratio


@settings(max_examples=300)
@given(step_figures, knobs, evidence, elapsed)
def test_rolls_back_exactly_when_a_guard_trips(now, k, prior, t):
    verdict = look(now, elapsed=t, evidence=prior, knobs=k)
    tripped = (
        verdict.evidence.failure_llr >= k.failure_bound
        or verdict.evidence.incident_llr >= k.incident_bound
        or (verdict.latency_ratio is not None and verdict.latency_ratio >= k.max_latency_ratio)
    )
    assert (verdict.decision is Decision.ROLLBACK) == tripped
    assert verdict.reasons


@settings(max_examples=300)
@given(step_figures, knobs, evidence, elapsed, st.integers(1, 50))
def test_more_canary_failures_never_make_the_verdict_milder(now, k, prior, t, extra):
    canary = now.canary
    worse_canary = VersionFigures(
        canary.attempts + extra,
        canary.failures + extra,
        canary.incidents,
        canary.p95_ms,
    )
    # Same attempts on both sides: compare against the canary with `extra` more successes.
    better_canary = VersionFigures(
        canary.attempts + extra, canary.failures, canary.incidents, canary.p95_ms
    )
    milder = look(StepFigures(now.baseline, better_canary), elapsed=t, evidence=prior, knobs=k)
    harsher = look(StepFigures(now.baseline, worse_canary), elapsed=t, evidence=prior, knobs=k)
    assert harsher.evidence.failure_llr >= milder.evidence.failure_llr
    assert SEVERITY[harsher.decision] >= SEVERITY[milder.decision]


@settings(max_examples=200)
@given(step_figures, knobs, evidence, elapsed, elapsed)
def test_more_time_never_turns_a_promotion_into_anything_else(now, k, prior, t, more):
    earlier = look(now, elapsed=t, evidence=prior, knobs=k)
    later = look(now, elapsed=t + more, evidence=prior, knobs=k)
    if earlier.decision is Decision.PROMOTE:
        assert later.decision is Decision.PROMOTE
