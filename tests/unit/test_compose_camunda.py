"""docker-compose.yml against the camunda/camunda image and the host it runs on (static)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
README = (ROOT / "README.md").read_text()
#: The tag Camunda's own 8.9 compose file used when we checked (camunda-distributions,
#: docker-compose/versions/camunda-8.9/.env, 21 Aug 2026).
CHECKED_TAG = "8.9.17"


def mounts(service: str) -> dict[str, str]:
    """Container path -> source of each volume of a service."""
    found = {}
    for volume in COMPOSE["services"][service].get("volumes", []):
        source, target = volume.split(":")[:2]
        found[target] = source
    return found


def test_camundas_data_volume_is_where_the_camunda_image_keeps_its_data():
    volumes = mounts("camunda")
    assert volumes.get("/usr/local/camunda/data") in COMPOSE["volumes"]
    assert "/usr/local/zeebe/data" not in volumes  # the old camunda/zeebe image's path


def test_the_camunda_image_is_pinned_to_the_checked_tag_and_overridable():
    image = COMPOSE["services"]["camunda"]["image"]
    assert image == f"camunda/camunda:${{CAMUNDA_VERSION:-{CHECKED_TAG}}}"
    assert f"`camunda/camunda:{CHECKED_TAG}`" in README
    assert "CAMUNDA_VERSION=" in README


def test_the_cli_records_the_host_user_as_the_actor():
    environment = COMPOSE["services"]["cli"]["environment"]
    assert environment["CANARY_ACTOR"] == "${CANARY_ACTOR:-${USER:-}}"


def test_the_compose_postgres_does_not_take_the_local_servers_port():
    (published,) = COMPOSE["services"]["postgres"]["ports"]
    default = re.fullmatch(r"\$\{CANARY_POSTGRES_PORT:-(\d+)\}:5432", published)
    assert default is not None
    assert default.group(1) != "5432"  # `make postgres` and CI's server listen there
    assert "CANARY_POSTGRES_PORT" in README
