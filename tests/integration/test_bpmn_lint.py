"""bpmnlint over the committed models, and proof that its configuration catches breakage.

Integration, not unit: it runs the locked npm tool (`make node`) in a subprocess.
"""

import subprocess
from pathlib import Path

import pytest

from workers import process
from workers.guarded import process as guarded

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
MODEL = BPMN_DIR / process.BPMN_FILE
GUARDED_MODEL = BPMN_DIR / guarded.MODEL_FILE
BPMNLINT = BPMN_DIR / "node_modules" / ".bin" / "bpmnlint"


def run_bpmnlint(model: Path) -> subprocess.CompletedProcess[str]:
    if not BPMNLINT.exists():
        pytest.fail(f"{BPMNLINT} is missing: run `make node` to install the locked npm tools")
    return subprocess.run(
        [str(BPMNLINT), "--max-warnings=0", str(model)],
        cwd=BPMN_DIR,  # bpmnlint reads .bpmnlintrc from the working directory
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("model", [MODEL, GUARDED_MODEL], ids=lambda path: path.name)
def test_model_lints_clean_for_camunda_8_9_without_warnings(model):
    result = run_bpmnlint(model)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.strip() == "", f"bpmnlint reported something:\n{output}"


def test_lint_catches_a_missing_error_code_and_a_broken_condition(tmp_path):
    """The lint config has teeth: Camunda-specific breakage in a copy of the model fails it."""
    broken = tmp_path / "broken.bpmn"
    text = MODEL.read_text(encoding="utf-8")
    for good, bad in (
        (' errorCode="IDENTITY_REJECTED"', ""),
        ("= useVersion = 2", "= useVersion = "),
    ):
        assert text.count(good) == 1, f"the model no longer contains {good!r}"
        text = text.replace(good, bad)
    broken.write_text(text, encoding="utf-8")
    result = run_bpmnlint(broken)
    assert result.returncode != 0
    assert "must have property <errorCode>" in result.stdout
    assert "to-v2" in result.stdout
    assert "not a valid FEEL expression" in result.stdout


def test_lint_catches_a_rollout_message_without_correlation_key(tmp_path):
    """The config has teeth for the rollout model too: a pause nobody can correlate fails."""
    broken = tmp_path / "broken.bpmn"
    text = GUARDED_MODEL.read_text(encoding="utf-8")
    needle = f'name="{guarded.Message.PAUSE}">'
    assert text.count(needle) == 1
    start = text.index(needle)
    end = text.index("</bpmn:message>", start) + len("</bpmn:message>")
    broken.write_text(text[:start] + f'name="{guarded.Message.PAUSE}" />' + text[end:])
    result = run_bpmnlint(broken)
    assert result.returncode != 0
    assert "zeebe:Subscription" in result.stdout
