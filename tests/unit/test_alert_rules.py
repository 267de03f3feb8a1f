"""deploy/prometheus/canary-alerts.yaml reads only metrics the workers export."""

from pathlib import Path

import yaml
from metrics_support import exported_series
from promql_names import metric_names

ROOT = Path(__file__).resolve().parents[2]
RULES = yaml.safe_load((ROOT / "deploy" / "prometheus" / "canary-alerts.yaml").read_text())
#: Series Prometheus makes itself for every scrape target.
PROMETHEUS_OWN = {"up"}
#: What the issue asks the alerts to cover.
REQUIRED_ALERTS = {
    "CanaryFailureRateAboveBaseline",
    "CanaryIncidentsOnBranch",
    "CanaryWorkerNotReady",
    "CanaryRolloutConfigStale",
    "CanaryRoutingOnFallback",
    "CanaryRecorderDropping",
    "CanaryRateChangedOutsideBusinessHours",
}


def rules():
    return [rule for group in RULES["groups"] for rule in group["rules"]]


def test_the_name_extractor_sees_metrics_and_skips_the_rest():
    expr = (
        'sum by (version) (rate(canary_jobs_total{outcome!~"routed_.*"}[5m]))'
        " / ignoring(version) canary:attempts:rate5m > 0.1 and on() hour() < 8"
        " or histogram_quantile(0.95, sum by (le) (rate(x_bucket[$__rate_interval])))"
    )
    assert metric_names(expr) == {"canary_jobs_total", "canary:attempts:rate5m", "x_bucket"}


def test_every_alert_the_issue_asks_for_exists():
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    assert alerts >= REQUIRED_ALERTS


def test_every_expression_names_only_exported_or_recorded_series():
    known = exported_series() | PROMETHEUS_OWN | {r["record"] for r in rules() if "record" in r}
    for rule in rules():
        unknown = metric_names(rule["expr"]) - known
        assert not unknown, f"{rule.get('alert') or rule['record']} reads {sorted(unknown)}"


def test_every_alert_has_a_severity_and_a_summary():
    for rule in rules():
        if "alert" in rule:
            assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]
