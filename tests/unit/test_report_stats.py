"""The report's arithmetic: Wilson intervals, the SPRT on where failures land, the split test."""

import math

import pytest

from workers.stats import (
    Stratum,
    canary_failure_probability,
    failure_llr,
    split_test,
    sprt_bounds,
    stratified_llr,
    wilson,
)


def test_sprt_bounds_match_the_guides_worked_example():
    upper, lower = sprt_bounds(alpha=0.05, beta=0.2)
    assert round(upper, 2) == 2.77
    assert round(lower, 2) == -1.56


def test_three_canary_against_two_baseline_failures_give_the_guides_llr():
    """alpha 0.05, beta 0.2, r 3, s 0.05: 3 canary vs 2 baseline failures -> LLR 2.82."""
    llr = failure_llr(canary_failures=3, baseline_failures=2, share=0.05, ratio=3)
    assert round(llr, 2) == 2.82
    upper, _ = sprt_bounds(alpha=0.05, beta=0.2)
    assert llr >= upper  # the guide's conclusion: roll back


def test_p1_is_the_canary_share_of_failures_when_it_fails_r_times_as_often():
    # 5% of traffic failing 3x as often: 0.15 / (0.15 + 0.95).
    assert canary_failure_probability(0.05, ratio=3) == pytest.approx(0.15 / 1.10)


def test_failures_in_proportion_to_the_share_push_the_llr_down():
    llr = failure_llr(canary_failures=50, baseline_failures=50, share=0.5, ratio=2)
    _, lower = sprt_bounds(alpha=0.05, beta=0.2)
    assert llr < lower


def test_a_stratum_with_only_one_version_carries_no_evidence():
    assert failure_llr(canary_failures=7, baseline_failures=0, share=1.0, ratio=2) == 0.0
    assert failure_llr(canary_failures=0, baseline_failures=7, share=0.0, ratio=2) == 0.0


def test_a_ratio_of_one_or_less_is_refused():
    with pytest.raises(ValueError, match="ratio"):
        failure_llr(canary_failures=1, baseline_failures=1, share=0.5, ratio=1)


def test_error_levels_out_of_range_are_refused():
    with pytest.raises(ValueError, match="alpha"):
        sprt_bounds(alpha=0.6, beta=0.5)


def test_stratified_llr_sums_each_period_with_its_own_share():
    low = Stratum(
        baseline_attempts=950, canary_attempts=50, baseline_failures=19, canary_failures=1
    )
    high = Stratum(
        baseline_attempts=500, canary_attempts=500, baseline_failures=20, canary_failures=20
    )
    expected = failure_llr(
        canary_failures=1, baseline_failures=19, share=0.05, ratio=2
    ) + failure_llr(canary_failures=20, baseline_failures=20, share=0.5, ratio=2)
    assert stratified_llr([low, high], ratio=2) == pytest.approx(expected)


def test_wilson_interval_known_values():
    half = wilson(5, 10)
    assert half.value == 0.5
    assert half.low == pytest.approx(0.2366, abs=1e-4)
    assert half.high == pytest.approx(0.7634, abs=1e-4)


def test_wilson_interval_is_sensible_at_zero_and_at_all():
    none = wilson(0, 10)
    assert none.low == 0.0
    assert none.high == pytest.approx(0.2775, abs=1e-4)
    every = wilson(10, 10)
    assert every.high == 1.0
    assert every.low == pytest.approx(0.7225, abs=1e-4)


def test_wilson_of_nothing_has_no_value():
    empty = wilson(0, 0)
    assert (empty.value, empty.low, empty.high) == (None, None, None)


def test_split_test_flags_a_skewed_split_and_not_a_fair_one():
    # 1000 decisions at rate 0.1: expect 100 +- sqrt(90).
    fair = split_test(observed_v2=104, expected_v2=100, variance=90)
    skewed = split_test(observed_v2=160, expected_v2=100, variance=90)
    assert fair.p_value is not None
    assert fair.p_value > 0.5
    assert skewed.p_value is not None
    assert skewed.p_value < 1e-9
    assert skewed.z == pytest.approx(60 / math.sqrt(90))


def test_split_test_with_rates_of_zero_only_is_certain():
    """At rate 0 nobody may get v2: one v2 decision is a mismatch, none is fine."""
    assert split_test(observed_v2=1, expected_v2=0, variance=0).p_value == 0.0
    assert split_test(observed_v2=0, expected_v2=0, variance=0).p_value == 1.0


def test_chart_buckets_shorter_than_a_second_are_labelled_in_tenths():
    from datetime import timedelta  # noqa: PLC0415

    from workers.operate.report.render import _duration  # noqa: PLC0415

    assert [_duration(timedelta(seconds=s)) for s in (0.16, 1, 2.5, 30, 300)] == [
        "0.2s",
        "1s",
        "2.5s",
        "30s",
        "5m",
    ]
