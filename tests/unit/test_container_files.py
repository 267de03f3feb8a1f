"""docker-compose.yml and the Dockerfile, checked statically (no container engine runs here).

hadolint runs in tests/integration/test_linters.py (it is a subprocess)."""

import json
import re
import shlex
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from code_facts import variables_the_code_reads

from workers.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
OUR_IMAGE = "camunda-canary:local"


def our_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in COMPOSE["services"].items() if s.get("image") == OUR_IMAGE}


def test_compose_file_matches_the_compose_specification_schema():
    schema_file = (
        resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    )
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(COMPOSE, schema)


def test_schema_validation_would_catch_a_broken_file():
    schema_file = (
        resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    )
    schema = json.loads(schema_file.read_text())
    broken = {
        "services": {
            "x": {"image": "a", "depends_on": {"y": {"condition": "when_it_feels_like_it"}}}
        }
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_every_variable_passed_to_our_containers_is_read_by_the_code():
    read = variables_the_code_reads()
    for name, service in our_services().items():
        passed = set(service.get("environment", {}))
        assert passed <= read, f"{name} passes variables nothing reads: {sorted(passed - read)}"


def test_the_image_sets_only_variables_the_code_reads():
    read = variables_the_code_reads()
    dockerfile = (ROOT / "Dockerfile").read_text()
    set_in_image = set(re.findall(r"\b(CANARY_[A-Z_]+)=", dockerfile))
    assert set_in_image <= read


def test_our_commands_parse_with_the_real_cli():
    parser = build_parser()
    for name, service in our_services().items():
        command = service.get("command", [])
        if service.get("entrypoint") == ["/bin/sh", "-c"]:
            commands = [shlex.split(c.strip()) for c in command[0].split("&&")]
            commands = [c[1:] for c in commands]  # drop "canary"
        else:
            commands = [command]
        for argv in commands:
            resolved = [re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", a) for a in argv]
            if resolved == ["--help"]:
                continue
            args = parser.parse_args(resolved)
            assert callable(args.handler), name


def test_nothing_starts_before_what_it_needs_is_healthy():
    services = COMPOSE["services"]
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            condition = spec["condition"]
            assert condition in {"service_healthy", "service_completed_successfully"}, (
                name,
                dependency,
            )
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], (
                    f"{name} waits for {dependency}, which has no healthcheck"
                )
    assert services["init"]["restart"] == "no"
    for worker in ("worker-choose", "worker-v1", "worker-v2"):
        assert (
            services[worker]["depends_on"]["init"]["condition"] == "service_completed_successfully"
        )


def test_long_running_services_have_healthchecks_and_images_are_pinned():
    for name, service in COMPOSE["services"].items():
        image = service.get("image", "")
        assert ":" in image
        assert not image.endswith(":latest"), name
        if "profiles" not in service and service.get("restart") != "no":
            assert "healthcheck" in service, f"{name} has no healthcheck"
    camunda = COMPOSE["services"]["camunda"]["image"]
    assert re.fullmatch(r"camunda/camunda:\$\{CAMUNDA_VERSION:-8\.9\.\d+\}", camunda)


def test_workers_scale_as_separate_services_without_fixed_names_or_ports():
    for name in ("worker-choose", "worker-v1", "worker-v2"):
        service = COMPOSE["services"][name]
        assert "container_name" not in service  # --scale needs generated names
        assert "ports" not in service  # and no host port to collide on


def test_camunda_is_configured_for_pyzeebe_and_postgres_secondary_storage():
    config = yaml.safe_load(COMPOSE["configs"]["camunda-config"]["content"])
    assert config["camunda"]["security"]["authentication"]["unprotectedApi"] is True
    storage = config["camunda"]["data"]["secondary-storage"]
    assert storage["type"] == "rdbms"
    assert storage["rdbms"]["url"].startswith("jdbc:postgresql://postgres:5432/")
    ports = COMPOSE["services"]["camunda"]["ports"]
    assert {"26500:26500", "8080:8080"} <= {p.split(" ")[0] for p in ports}


def test_workers_use_the_least_privileged_database_login():
    for name in ("worker-choose", "worker-v1", "worker-v2"):
        url = COMPOSE["services"][name]["environment"]["DATABASE_URL"]
        assert url.startswith("postgresql://worker:")
    init_sql = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    assert "CREATE ROLE worker LOGIN" in init_sql
    assert "IN ROLE canary_worker" in init_sql


def test_only_the_rollout_controller_has_the_operator_login_and_only_for_its_jobs():
    services = COMPOSE["services"]
    controller = services["rollout-controller"]
    assert controller["command"] == ["worker", "--tasks", "rollout"]
    environment = controller["environment"]
    # Its rollout cache reads as the workers do; set rate and analyse use the operator login.
    assert environment["DATABASE_URL"].startswith("postgresql://worker:")
    assert environment["CANARY_ROLLOUT_DATABASE_URL"].startswith("postgresql://controller:")
    assert "VERIFYMENOW_API_KEY" not in environment
    assert controller["depends_on"]["init"]["condition"] == "service_completed_successfully"
    for name, service in our_services().items():
        urls = [v for k, v in service.get("environment", {}).items() if k.endswith("DATABASE_URL")]
        if any(u.startswith("postgresql://controller:") for u in urls):
            assert name == "rollout-controller"
    init_sql = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    assert re.search(
        r"^CREATE ROLE controller LOGIN .* IN ROLE canary_operator;$", init_sql, re.MULTILINE
    )
    passwords = COMPOSE["services"]["postgres"]["environment"]
    assert "CANARY_CONTROLLER_DB_PASSWORD" in passwords
    assert "${CANARY_CONTROLLER_DB_PASSWORD:-" in environment["CANARY_ROLLOUT_DATABASE_URL"]


def test_dockerfile_copies_what_exists():
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
