"""The metrics a worker process exports, collected from the real objects (nothing connects).

Shared by the exposition test, the alert-rule test and the dashboard test: each checks its
queries against the names this registry actually serves, so renaming a metric in the code
fails those tests instead of silently emptying a panel or muting an alert.
"""

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from workers.postgres.recorder import OutcomeRecorder, RecorderMetrics
from workers.postgres.rollout_cache import RolloutCache
from workers.routing import RolloutConfig, Strategy
from workers.runtime.gateway_watch import GatewayWatch
from workers.runtime.metrics import WorkerMetrics
from workers.settings import RecorderSettings

UNUSED_URL = "postgresql://nobody@127.0.0.1:1/never-connected"


def worker_metrics() -> WorkerMetrics:
    """The registry `canary worker` serves, wired to live objects that never connect."""
    metrics = WorkerMetrics()
    cache = RolloutCache(UNUSED_URL, max_age=300, refresh_interval=30, fallback_version=1)
    # As if loaded from Postgres, so the per-rollout gauge has a sample.
    cache._configs = {"verifymenow": RolloutConfig("verifymenow", 0.25, Strategy.STICKY, "salt")}
    recorder = OutcomeRecorder(
        UNUSED_URL, settings=RecorderSettings.from_env({}), default_rollout="verifymenow"
    )
    metrics.registry.register(RecorderMetrics(recorder))
    metrics.watch(cache=cache, gateway=GatewayWatch())
    return metrics


def exposition(metrics: WorkerMetrics) -> str:
    return generate_latest(metrics.registry).decode()


def exported_series() -> set[str]:
    """Every series name on /metrics: `canary_jobs_total`, `..._bucket`, `process_open_fds`."""
    metrics = worker_metrics()
    # Touch the labelled families so their samples (and histogram suffixes) appear.
    metrics.jobs.labels("choose-version", "1", "routed_sticky").inc()
    metrics.handler_seconds.labels("choose-version").observe(0.001)
    return {
        sample.name
        for family in text_string_to_metric_families(exposition(metrics))
        for sample in family.samples
    }
