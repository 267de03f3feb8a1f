"""deploy/grafana/: a dashboard Grafana's file provisioning loads, querying only our metrics.

No JSON schema for dashboards ships in a package we can install (Grafana defines them in
CUE), so the provisioning rules are checked one by one: a uid and title, no fixed id, a
schemaVersion, panels with unique ids and grid positions, and every Prometheus query bound
to the `datasource` variable.
"""

import json
import re
from pathlib import Path

import yaml
from metrics_support import exported_series
from promql_names import metric_names

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = json.loads((GRAFANA / "camunda-canary.json").read_text())
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def panels():
    return [p for p in DASHBOARD["panels"] if p["type"] != "row"]


def queries():
    for panel in panels():
        for target in panel["targets"]:
            yield panel["title"], target["expr"]
    for annotation in DASHBOARD["annotations"]["list"]:
        if "expr" in annotation:
            yield annotation["name"], annotation["expr"]
    for variable in DASHBOARD["templating"]["list"]:
        if variable["type"] == "query":
            # label_values(METRIC, LABEL): only the first argument is a series.
            yield variable["name"], variable["definition"].rsplit(",", 1)[0] + ")"


def test_dashboard_has_what_provisioning_needs():
    assert DASHBOARD["uid"] == "camunda-canary"
    assert DASHBOARD["title"]
    assert DASHBOARD.get("id") is None  # a fixed id clashes with the target instance's
    assert isinstance(DASHBOARD["schemaVersion"], int)
    assert DASHBOARD["schemaVersion"] >= 36  # the datasource-uid references of Grafana 9+


def test_data_source_is_a_variable_not_a_fixed_uid():
    (variable,) = [v for v in DASHBOARD["templating"]["list"] if v["name"] == "datasource"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    for panel in panels():
        assert panel["datasource"] == DATASOURCE, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]


def test_panels_have_unique_ids_and_fit_the_grid():
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert grid["h"] > 0, panel["title"]
    ref_ids = [[t["refId"] for t in p["targets"]] for p in panels()]
    assert all(len(refs) == len(set(refs)) for refs in ref_ids)


def test_the_panels_the_issue_asks_for_are_there():
    titles = {p["title"] for p in panels()}
    for wanted in (
        "Throughput per version",
        "Outcomes per version",
        "Failure rate per version",
        "Canary vs baseline failure rate",
        "Handler latency percentiles",
        "Rate in force over time",
        "Recorder throughput",
        "Recorder drops and failed writes",
    ):
        assert wanted in titles, wanted
    (latency,) = [p for p in panels() if p["title"] == "Handler latency percentiles"]
    assert [t["expr"].split(",")[0] for t in latency["targets"]] == [
        "histogram_quantile(0.5",
        "histogram_quantile(0.95",
        "histogram_quantile(0.99",
    ]


def test_no_panel_names_a_fixed_version():
    """The next migration is 2 -> 3: a "v2" in a title, description or legend would lie."""
    for panel in panels():
        legends = " ".join(t.get("legendFormat", "") for t in panel["targets"])
        text = f"{panel['title']} {panel.get('description', '')} {legends}"
        assert not re.search(r"\bv[0-9]", text), panel["title"]


def test_rate_and_comparison_panels_name_each_rollouts_pair():
    by_title = {p["title"]: p for p in panels()}
    for title, label in (
        ("Rate in force", "{{canary}}"),
        ("Rate in force over time", "{{canary}}"),
        ("Canary vs baseline failure rate", "{{version}}"),
    ):
        for target in by_title[title]["targets"]:
            assert "canary_rollout_versions_info" in metric_names(target["expr"]), title
            assert label in target["legendFormat"], title
    canary, baseline = (t["expr"] for t in by_title["Canary vs baseline failure rate"]["targets"])
    # Each side takes `version` from its own label of the pair.
    assert canary.endswith('"version", "$1", "canary", "(.*)")')
    assert baseline.endswith('"version", "$1", "baseline", "(.*)")')


def test_rate_changes_are_annotated():
    (annotation,) = [a for a in DASHBOARD["annotations"]["list"] if a.get("expr")]
    assert "changes(canary_rollout_rate" in annotation["expr"]
    assert annotation["datasource"] == DATASOURCE


def test_every_query_names_only_metrics_the_workers_export():
    exported = exported_series()
    for where, expr in queries():
        names = metric_names(expr)
        assert names, f"{where}: no metric found in {expr!r}"
        assert names <= exported, f"{where} reads {sorted(names - exported)}"


def test_provisioning_provider_points_at_a_folder():
    config = yaml.safe_load((GRAFANA / "dashboards.yaml").read_text())
    (provider,) = config["providers"]
    assert config["apiVersion"] == 1
    assert provider["type"] == "file"
    assert provider["options"]["path"].startswith("/")
