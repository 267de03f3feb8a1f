"""Prometheus metrics of a worker process, served on /metrics.

Counted on the job path (cheap label lookups): jobs by task type, version and outcome, and the
handler latency histogram. Read at scrape time from the live objects (no bookkeeping on the job
path): the current rate and version pair per rollout, the degraded-mode flag, Postgres
reconnects, gateway outages, and the recorder's counters. Plus the process itself (memory, CPU,
open file descriptors) from prometheus_client's ProcessCollector.

No ``*_created`` series: the client adds one per counter and histogram by default, and
``canary_jobs_created`` reads like a count of created jobs. Prometheus needs none of them.
"""

import time
from collections.abc import Awaitable, Callable, Iterator
from functools import wraps
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from pyzeebe import Job

from workers.postgres.outcomes import Outcome
from workers.postgres.rollout_cache import RolloutCache
from workers.routing import Decision
from workers.runtime.gateway_watch import GatewayWatch

#: Handler latencies span from microseconds (choose-version) to seconds (a slow provider).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class WorkerMetrics:
    """The metrics of one worker process, on a registry of its own (tests make several)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # A process-wide switch in prometheus_client (untyped); every registry of ours wants it off.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = registry or CollectorRegistry()
        # process_resident_memory_bytes, process_cpu_seconds_total, process_open_fds, ...
        ProcessCollector(registry=self.registry)
        self.jobs = Counter(
            "canary_jobs",
            "jobs handled, by task type, version and outcome",
            ["task_type", "version", "outcome"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "canary_job_handler_seconds",
            "time spent in a job handler, by task type",
            ["task_type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def timed(
        self, task_type: str, function: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        """Wrap a task function to observe its duration; the signature pyzeebe inspects stays."""
        histogram = self.handler_seconds.labels(task_type=task_type)

        @wraps(function)
        async def timed_task(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                histogram.observe(time.perf_counter() - started)

        return timed_task

    def watch(
        self,
        *,
        cache: RolloutCache | None = None,
        gateway: GatewayWatch | None = None,
    ) -> None:
        """Expose live state of the cache and the gateway watch at scrape time."""
        self.registry.register(_LiveState(cache, gateway))


class MetricsSink:
    """Counts decisions and outcomes; sits next to the recorder as a job sink."""

    def __init__(self, metrics: WorkerMetrics) -> None:
        self._jobs = metrics.jobs
        # labels() formats and locks on every call; the label sets are few, so keep them.
        self._children: dict[tuple[str, int, str], Any] = {}

    def _count(self, task_type: str, version: int, outcome: str) -> None:
        key = (task_type, version, outcome)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._jobs.labels(task_type, str(version), outcome)
        child.inc()

    def record_decision(self, job: Job, rollout: str, decision: Decision) -> None:  # noqa: ARG002
        self._count(job.type, decision.version, f"routed_{decision.rule.value}")

    def record_outcome(
        self,
        job: Job,
        *,
        version: int,
        outcome: Outcome,
        latency_ms: float | None,  # noqa: ARG002
        error_code: str | None = None,  # noqa: ARG002
    ) -> None:
        self._count(job.type, version, outcome.value)


class FanOutSink:
    """Hands every record to several sinks (metrics and the Postgres recorder)."""

    def __init__(self, *sinks: Any) -> None:
        self._sinks = sinks

    def record_decision(self, job: Job, rollout: str, decision: Decision) -> None:
        for sink in self._sinks:
            sink.record_decision(job, rollout, decision)

    def record_outcome(
        self,
        job: Job,
        *,
        version: int,
        outcome: Outcome,
        latency_ms: float | None,
        error_code: str | None = None,
    ) -> None:
        for sink in self._sinks:
            sink.record_outcome(
                job, version=version, outcome=outcome, latency_ms=latency_ms, error_code=error_code
            )


class _LiveState:
    def __init__(self, cache: RolloutCache | None, gateway: GatewayWatch | None) -> None:
        self._cache = cache
        self._gateway = gateway

    def collect(self) -> Iterator[Metric]:
        if self._cache is not None:
            health = self._cache.health()
            rates = GaugeMetricFamily(
                "canary_rollout_rate",
                "share of subjects each rollout sends to its canary version"
                " (canary_rollout_versions_info names it)",
                labels=["rollout"],
            )
            # The pair as labels, so PromQL can join it to canary_jobs_total's `version`: the
            # alerts compare each rollout's canary with its baseline, whatever the numbers.
            pairs = InfoMetricFamily(
                "canary_rollout_versions",
                "the versions each rollout compares, in the labels baseline and canary",
                labels=["rollout"],
            )
            for name, config in sorted(self._cache.configs.items()):
                rates.add_metric([name], config.rate)
                pairs.add_metric(
                    [name],
                    {
                        "baseline": str(config.baseline_version),
                        "canary": str(config.canary_version),
                    },
                )
            yield rates
            yield pairs
            yield GaugeMetricFamily(
                "canary_degraded",
                "1 while decisions use the fallback version (rollout config missing or too old)",
                value=1 if health.fallback_active else 0,
            )
            yield GaugeMetricFamily(
                "canary_rollout_config_age_seconds",
                "seconds since the rollout config was last confirmed current",
                value=health.age if health.age is not None else float("nan"),
            )
            yield GaugeMetricFamily(
                "canary_postgres_connected",
                "1 while the rollout cache's connection is up",
                value=1 if health.connected else 0,
            )
            yield CounterMetricFamily(
                "canary_postgres_reconnects",
                "times the rollout cache re-established its Postgres connection after an outage",
                value=health.reconnects,
            )
        if self._gateway is not None:
            yield GaugeMetricFamily(
                "canary_gateway_up",
                "1 while the Zeebe gateway answers",
                value=1 if self._gateway.up else 0,
            )
            yield CounterMetricFamily(
                "canary_gateway_outages", "Zeebe gateway outages seen", value=self._gateway.outages
            )
