"""/metrics as Prometheus reads it: parsed with prometheus_client's own text parser."""

import re

from metrics_support import UNUSED_URL, exported_series, exposition, worker_metrics
from prometheus_client.parser import text_string_to_metric_families

from workers.postgres.rollout_cache import RolloutCache
from workers.routing import RolloutConfig, Strategy
from workers.runtime.metrics import WorkerMetrics

#: Prometheus' metric name grammar; we add the lowercase snake_case convention.
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
#: Units belong in base units (seconds, bytes); these suffixes would break that convention.
NON_BASE_UNITS = ("_ms", "_milliseconds", "_minutes", "_hours", "_kb", "_mb", "_percent")


def families():
    metrics = worker_metrics()
    metrics.jobs.labels("verify-identity-v2", "2", "incident").inc()
    metrics.handler_seconds.labels("verify-identity-v2").observe(0.2)
    return list(text_string_to_metric_families(exposition(metrics)))


def test_no_created_series_are_exported():
    names = {sample.name for family in families() for sample in family.samples}
    assert not [name for name in names if name.endswith("_created")]
    assert "canary_jobs_total" in names


def test_process_memory_cpu_and_open_fds_are_exported():
    series = exported_series()
    for name in (
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ):
        assert name in series, name


def test_every_name_follows_prometheus_conventions():
    for family in families():
        assert NAME.match(family.name), family.name
        assert family.documentation, f"{family.name} has no HELP text"
        assert not family.name.endswith(NON_BASE_UNITS), family.name
        for sample in family.samples:
            if family.type == "counter":
                assert sample.name == f"{family.name}_total", sample.name
            if family.type == "histogram":
                assert sample.name.removeprefix(family.name) in {"_bucket", "_count", "_sum"}
                assert family.name.endswith("_seconds"), family.name
            if family.type == "gauge":
                assert not sample.name.endswith("_total"), f"gauge {sample.name} reads as counter"


def test_our_metrics_share_the_canary_prefix():
    ours = {f.name for f in families() if not f.name.startswith(("process_", "python_"))}
    assert ours
    assert all(name.startswith("canary_") for name in ours), ours


def test_counted_jobs_and_live_state_parse_back_to_their_values():
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families()
        for sample in family.samples
    }
    incident = (
        "canary_jobs_total",
        (("outcome", "incident"), ("task_type", "verify-identity-v2"), ("version", "2")),
    )
    assert samples[incident] == 1
    assert samples[("canary_rollout_rate", (("rollout", "verifymenow"),))] == 0.25
    pair = (("baseline", "1"), ("canary", "2"), ("rollout", "verifymenow"))
    assert samples[("canary_rollout_versions_info", pair)] == 1
    assert samples[("canary_degraded", ())] == 1  # never loaded: on the fallback
    assert samples[("canary_recorder_dropped_total", ())] == 0


def rollout_pairs(metrics: WorkerMetrics) -> dict[str, tuple[str, str]]:
    return {
        sample.labels["rollout"]: (sample.labels["baseline"], sample.labels["canary"])
        for family in text_string_to_metric_families(exposition(metrics))
        for sample in family.samples
        if sample.name == "canary_rollout_versions_info"
    }


def test_the_version_pair_of_each_rollout_follows_the_cache():
    """2 -> 3 after 1 -> 2: the next scrape shows the new pair and nothing of the old one."""
    metrics = WorkerMetrics()
    cache = RolloutCache(UNUSED_URL, max_age=300, refresh_interval=30, fallback_version=None)
    metrics.watch(cache=cache)
    assert rollout_pairs(metrics) == {}  # nothing loaded yet: no pair to claim
    cache._configs = {
        "verifymenow": RolloutConfig("verifymenow", 1.0, Strategy.STICKY, "s"),
        "other": RolloutConfig(
            "other", 0.1, Strategy.STICKY, "s", baseline_version=4, canary_version=7
        ),
    }
    assert rollout_pairs(metrics) == {"verifymenow": ("1", "2"), "other": ("4", "7")}
    cache._configs = {
        "verifymenow": RolloutConfig(
            "verifymenow", 0.0, Strategy.STICKY, "s", baseline_version=2, canary_version=3
        )
    }
    assert rollout_pairs(metrics) == {"verifymenow": ("2", "3")}
