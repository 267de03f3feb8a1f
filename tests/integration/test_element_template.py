"""bpmn/templates/canary-choose-version.json: valid for the Modeler, and it works in a model.

Validated against Camunda's element-template JSON schema
(@camunda/zeebe-element-templates-json-schema, locked in bpmn/package.json); then applied to
a blank service task of a generated model, linted with bpmnlint-plugin-camunda-compat for
8.9, deployed to the dev engine and completed by the real choose-version worker.
"""

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from element_templates import apply_template, blank_model
from support.flow import set_rate, workers

from workers import process
from workers.operate.deploy import deploy
from workers.routing import Decision, Rule
from workers.settings import DEFAULT_SUBJECT_VARIABLE
from workers.tasks.choose_version import decision_variables

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
TEMPLATE_FILE = BPMN_DIR / "templates" / "canary-choose-version.json"
TEMPLATE = json.loads(TEMPLATE_FILE.read_text())
SCHEMA_FILE = (
    BPMN_DIR
    / "node_modules"
    / "@camunda"
    / "zeebe-element-templates-json-schema"
    / "resources"
    / "schema.json"
)
BPMNLINT = BPMN_DIR / "node_modules" / ".bin" / "bpmnlint"
PROCESS_ID = "template-applied"
TASK_ID = "route-customer"


def schema():
    if not SCHEMA_FILE.exists():
        pytest.fail(f"{SCHEMA_FILE} is missing: run `make node` to install the npm tools")
    return json.loads(SCHEMA_FILE.read_text())


def bindings(kind):
    return [p for p in TEMPLATE["properties"] if p["binding"]["type"] == kind]


def lint(model: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BPMNLINT), "--max-warnings=0", str(model)],
        cwd=BPMN_DIR,  # .bpmnlintrc there: recommended rules plus camunda-compat for 8.9
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_template_matches_camundas_element_template_schema():
    jsonschema.Draft7Validator(schema()).validate(TEMPLATE)


def test_schema_rejects_a_template_with_a_property_without_binding():
    broken = json.loads(json.dumps(TEMPLATE))
    del broken["properties"][2]["binding"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema()).validate(broken)


def test_template_binds_the_names_the_worker_uses():
    (job_type,) = [
        p for p in bindings("zeebe:taskDefinition") if p["binding"]["property"] == "type"
    ]
    assert job_type["value"] == process.CHOOSE_VERSION
    (header,) = bindings("zeebe:taskHeader")
    assert header["binding"]["key"] == process.ROLLOUT_HEADER
    assert header["value"] == process.MODEL_ROLLOUT
    (subject,) = bindings("zeebe:input")
    assert subject["binding"]["name"] == DEFAULT_SUBJECT_VARIABLE
    outputs = {
        p["binding"]["source"].removeprefix("="): p["value"] for p in bindings("zeebe:output")
    }
    documented = decision_variables(Decision(version=2, rule=Rule.STICKY, bucket=17, rate=0.5))
    assert outputs == {name: name for name in documented}  # every output, under its own name


def test_applied_template_lints_clean_for_camunda_8_9(tmp_path):
    blank = tmp_path / "blank.bpmn"
    blank.write_text(blank_model(PROCESS_ID, TASK_ID))
    applied = tmp_path / "applied.bpmn"
    applied.write_text(apply_template(blank.read_text(), TASK_ID, TEMPLATE))
    result = lint(applied)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (result.stdout + result.stderr).strip() == ""
    # The generated model alone is not enough: its blank task has no job type.
    result = lint(blank)
    assert result.returncode != 0
    assert TASK_ID in result.stdout


@pytest.mark.postgres
@pytest.mark.engine
async def test_applied_template_runs_on_the_engine_with_the_choose_version_worker(
    zeebe_target, zeebe_client, database_url, tmp_path
):
    model = tmp_path / f"{PROCESS_ID}.bpmn"
    model.write_text(
        apply_template(
            blank_model(PROCESS_ID, TASK_ID),
            TASK_ID,
            TEMPLATE,
            values={"subject": "=customer.id"},
        )
    )
    await deploy(zeebe_client, [model], address=zeebe_target.grpc_address)
    await set_rate(database_url, 1.0)
    async with workers(
        grpc_address=zeebe_target.grpc_address,
        database_url=database_url,
        stub_url="http://127.0.0.1:9",  # no verify task here
        extra={"CANARY_TASKS": "choose"},
    ) as service:
        result = await zeebe_client.run_process_with_result(
            PROCESS_ID, variables={"customer": {"id": "c-42"}}, timeout=30_000
        )
        assert service.cache is not None
        expected = service.cache.decide("verifymenow", "c-42")
    variables = result.variables
    assert variables["useVersion"] == 2  # rate 1: the v2 branch, through the gateway
    assert variables["canaryRule"] == "sticky"
    # The subject came through the template's input mapping, not the instance key.
    assert variables["canaryBucket"] == expected.bucket
    assert variables["canaryRate"] == 1.0
