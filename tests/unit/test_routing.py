"""The routing decision: determinism, stickiness, monotonic ramps, overrides, bounds, uniformity."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.routing import (
    BUCKETS,
    RolloutConfig,
    Rule,
    Strategy,
    check_pair,
    decide,
    fallback,
    format_rate,
    parse_pair,
    parse_rate,
    parse_version,
    rate_threshold,
    subject_key,
)

subjects = st.text(min_size=1, max_size=60)
rates = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
salts = st.text(alphabet="0123456789abcdef", min_size=1, max_size=32)


def sticky(rate: float, salt: str = "s1", overrides: dict[str, int] | None = None) -> RolloutConfig:
    return RolloutConfig(
        name="verifymenow",
        rate=rate,
        strategy=Strategy.STICKY,
        salt=salt,
        overrides=overrides or {},
    )


@given(subject=subjects, rate=rates, salt=salts)
def test_sticky_decision_is_deterministic(subject, rate, salt):
    """The same subject, rate and salt always give the same version and bucket."""
    first = decide(sticky(rate, salt), subject)
    again = decide(sticky(rate, salt), subject)
    assert first == again
    assert first.rule is Rule.STICKY


@given(subject=subjects, low=rates, high=rates, salt=salts)
def test_raising_the_rate_never_moves_a_subject_off_v2(subject, low, high, salt):
    """Monotonic ramps: a subject on v2 at some rate stays on v2 at every higher rate."""
    low, high = sorted((low, high))
    if decide(sticky(low, salt), subject).version == 2:
        assert decide(sticky(high, salt), subject).version == 2
    if decide(sticky(high, salt), subject).version == 1:
        assert decide(sticky(low, salt), subject).version == 1


@given(subject=subjects, salt=salts)
def test_rate_zero_never_gives_v2_and_rate_one_always_does(subject, salt):
    assert decide(sticky(0.0, salt), subject).version == 1
    assert decide(sticky(1.0, salt), subject).version == 2
    random_zero = RolloutConfig("r", 0.0, Strategy.RANDOM, salt)
    random_one = RolloutConfig("r", 1.0, Strategy.RANDOM, salt)
    assert decide(random_zero, subject).version == 1
    assert decide(random_one, subject).version == 2


@given(
    subject=subjects, rate=rates, forced=st.sampled_from([1, 2]), strategy=st.sampled_from(Strategy)
)
def test_overrides_win_over_rate_and_strategy(subject, rate, forced, strategy):
    config = RolloutConfig("r", rate, strategy, "salt", {subject: forced})
    decision = decide(config, subject)
    assert decision.version == forced
    assert decision.rule is Rule.OVERRIDE
    assert decision.bucket is None


@given(subject=subjects, rate=rates)
def test_bucket_is_a_fraction_in_unit_interval_consistent_with_the_version(subject, rate):
    decision = decide(sticky(rate), subject)
    assert decision.bucket is not None
    assert 0.0 <= decision.bucket < 1.0
    assert (decision.version == 2) == (round(decision.bucket * BUCKETS) < rate_threshold(rate))


def test_a_new_salt_reshuffles_subjects():
    """Changing the salt re-randomises: about half of v2 subjects at 50% change side."""
    keys = [f"applicant-{i}" for i in range(2000)]
    before = {k for k in keys if decide(sticky(0.5, "salt-a"), k).version == 2}
    after = {k for k in keys if decide(sticky(0.5, "salt-b"), k).version == 2}
    moved = len(before ^ after) / len(keys)
    assert 0.4 < moved < 0.6


def test_two_rollouts_with_the_same_salt_split_independently():
    keys = [f"applicant-{i}" for i in range(2000)]
    a = RolloutConfig("alpha", 0.5, Strategy.STICKY, "same")
    b = RolloutConfig("beta", 0.5, Strategy.STICKY, "same")
    differ = sum(decide(a, k).version != decide(b, k).version for k in keys) / len(keys)
    assert 0.4 < differ < 0.6


def binomial_interval_999(n: int, p: float) -> tuple[float, float]:
    """Normal approximation of the two-sided 99.9 % interval of a Binomial(n, p) count."""
    z = 3.2905  # two-sided 99.9 %
    sd = math.sqrt(n * p * (1 - p))
    return n * p - z * sd, n * p + z * sd


@pytest.mark.parametrize("rate", [0.001, 0.01, 0.05, 0.25, 0.5, 0.9])
def test_split_over_100000_keys_is_within_the_binomial_interval(rate):
    n = 100_000
    config = sticky(rate, "uniformity")
    v2 = sum(decide(config, f"applicant-{i}").version == 2 for i in range(n))
    low, high = binomial_interval_999(n, rate)
    assert low <= v2 <= high, f"{v2} v2 subjects of {n} at rate {rate}"


def test_buckets_are_uniform_over_ten_bins():
    """Chi-square over 10 equal bins of the bucket, 100 000 keys, at p > 0.001."""
    n, bins = 100_000, 10
    counts = [0] * bins
    config = sticky(0.5, "bins")
    for i in range(n):
        bucket = decide(config, str(2251799813685248 + i)).bucket
        assert bucket is not None
        counts[int(bucket * bins)] += 1
    expected = n / bins
    chi2 = sum((c - expected) ** 2 / expected for c in counts)
    assert chi2 < 27.88  # chi-square 9 degrees of freedom, p = 0.001


def test_random_strategy_uses_a_fresh_draw_each_time():
    config = RolloutConfig("r", 0.3, Strategy.RANDOM, "salt")
    draws = iter([0.29, 0.31])
    first = decide(config, "same-subject", draw=lambda: next(draws))
    second = decide(config, "same-subject", draw=lambda: next(draws))
    assert (first.version, first.rule, first.bucket) == (2, Rule.RANDOM, 0.29)
    assert (second.version, second.bucket) == (1, 0.31)


def test_random_strategy_share_is_within_the_binomial_interval():
    rng = random.Random(7)
    config = RolloutConfig("r", 0.3, Strategy.RANDOM, "salt")
    n = 100_000
    v2 = sum(decide(config, "x", draw=rng.random).version == 2 for _ in range(n))
    low, high = binomial_interval_999(n, 0.3)
    assert low <= v2 <= high


def test_fallback_decision_has_no_bucket_or_rate():
    decision = fallback(1)
    assert (decision.version, decision.rule, decision.bucket, decision.rate) == (
        1,
        Rule.FALLBACK,
        None,
        None,
    )


def test_config_refuses_rates_outside_unit_interval_and_nan():
    for bad in (-0.01, 1.01, math.nan, math.inf):
        with pytest.raises(ValueError, match="rate must be between 0 and 1"):
            sticky(bad)


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"applicantId": "A-17"}, "A-17"),
        ({"applicantId": "  A-17 "}, "A-17"),
        ({"applicantId": 42}, "42"),
        ({"applicantId": 42.0}, "42"),
        ({"applicantId": ""}, "2251799813685249"),
        ({"applicantId": None}, "2251799813685249"),
        ({"applicantId": True}, "2251799813685249"),
        ({"applicantId": {"id": 1}}, "2251799813685249"),
        ({}, "2251799813685249"),
    ],
)
def test_subject_key_prefers_the_business_key_then_the_instance(variables, expected):
    key = subject_key(variables, variable="applicantId", process_instance_key=2251799813685249)
    assert key == expected


def test_number_and_string_business_keys_route_the_same():
    config = sticky(0.5)
    as_number = subject_key({"id": 7}, variable="id", process_instance_key=1)
    as_string = subject_key({"id": "7"}, variable="id", process_instance_key=2)
    assert decide(config, as_number) == decide(config, as_string)


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("0.25", 0.25),
        ("25%", 0.25),
        ("12.5 %", 0.125),
        ("0", 0.0),
        ("1", 1.0),
        ("100%", 1.0),
        (" .5 ", 0.5),
        ("0.0001%", 0.000001),
    ],
)
def test_parse_rate_accepts_fractions_and_percentages(text, rate):
    assert parse_rate(text) == pytest.approx(rate)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-0.1", "outside 0..1"),
        ("1.01", "outside 0..1"),
        ("101%", "outside 0..1"),
        ("nan", "not a finite number"),
        ("NaN%", "not a finite number"),
        ("inf", "not a finite number"),
        ("abc", "not a number"),
        # A kill switch reads ASCII decimals only: float() would take all of these (issue 16).
        ("1_0%", "not a number"),
        ("\uff15\uff10%", "not a number"),  # fullwidth 50
        ("\u0665%", "not a number"),  # Arabic-Indic 5
        ("\u00b2", "not a number"),
        ("", "not a number"),
        ("%", "not a number"),
        ("0.0000001", "finer than the bucket resolution"),
    ],
)
def test_parse_rate_refuses_bad_values_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rate(text)


@given(rate=rates)
def test_parsed_rate_round_trips_through_its_display(rate):
    shown = format_rate(parse_rate(format_rate(round(rate, 6))))
    assert parse_rate(shown) == parse_rate(format_rate(round(rate, 6)))


@pytest.mark.parametrize(
    ("value", "version"), [(1, 1), (2, 2), ("1", 1), ("2", 2), ("v2", 2), (3, 3), ("v3", 3)]
)
def test_parse_version_accepts_any_version_from_one(value, version):
    assert parse_version(value) == version


@pytest.mark.parametrize("value", [0, -1, 32768, "0", True, None, 2.5, "two", "v", "3a"])
def test_parse_version_refuses_anything_else(value):
    with pytest.raises(ValueError, match="version must be a whole number from 1 to 32767"):
        parse_version(value)


@pytest.mark.parametrize(("text", "pair"), [("2:3", (2, 3)), ("v1:v2", (1, 2)), ("3:2", (3, 2))])
def test_parse_pair_reads_baseline_then_canary(text, pair):
    assert parse_pair(text) == pair


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3", "must be BASELINE:CANARY"),
        ("2:3:4", "must be BASELINE:CANARY"),
        ("2:2", "must differ"),
        ("0:1", "from 1 to 32767"),
    ],
)
def test_parse_pair_refuses_bad_pairs_in_one_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_pair(text)


def test_a_config_refuses_an_invalid_pair():
    with pytest.raises(ValueError, match="must differ"):
        RolloutConfig("r", 0.5, Strategy.STICKY, "s", baseline_version=2, canary_version=2)
    with pytest.raises(ValueError, match="from 1"):
        check_pair(0, 2)


@given(subject=subjects, rate=rates, salt=salts, strategy=st.sampled_from(Strategy))
def test_a_pair_routes_exactly_as_1_and_2_would_with_the_versions_renamed(
    subject, rate, salt, strategy
):
    """Rollout 2 -> 3 splits subjects like 1 -> 2: same buckets, versions renamed."""
    plain = RolloutConfig("r", rate, strategy, salt)
    next_pair = RolloutConfig("r", rate, strategy, salt, baseline_version=2, canary_version=3)
    draw = random.Random(subject).random
    before = decide(plain, subject, draw=draw)
    draw = random.Random(subject).random
    after = decide(next_pair, subject, draw=draw)
    assert after.version == {1: 2, 2: 3}[before.version]
    assert (after.bucket, after.rule) == (before.bucket, before.rule)


@given(subject=subjects, salt=salts)
def test_a_pair_sends_everyone_to_its_baseline_at_0_and_to_its_canary_at_1(subject, salt):
    def routed(rate: float) -> int:
        config = RolloutConfig("r", rate, Strategy.STICKY, salt, {}, 2, 3)
        return decide(config, subject).version

    assert (routed(0.0), routed(1.0)) == (2, 3)


def test_threshold_rounding_matches_rate_exactly_at_percent_steps():
    """At whole-percent rates the v2 buckets are exactly rate * BUCKETS."""
    for percent in range(101):
        assert sticky(percent / 100).threshold == percent * BUCKETS // 100
