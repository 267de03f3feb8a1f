"""The alert rules pass promtool's checks and their unit tests (canary-alerts.test.yaml)."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: `make promtool` (scripts/ensure-promtool) installs it"
    return subprocess.run(
        [binary, *args], cwd=RULES_DIR, capture_output=True, text=True, check=False, timeout=60
    )


def test_rules_pass_promtool_check():
    result = promtool("check", "rules", "canary-alerts.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rule_unit_tests_pass():
    result = promtool("test", "rules", "canary-alerts.test.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_catch_an_alert_that_never_fires(tmp_path):
    broken = (RULES_DIR / "canary-alerts.yaml").read_text()
    broken = broken.replace(
        'expr: canary_degraded{job="camunda-canary"} == 1', "expr: vector(0) == 1"
    )
    assert broken != (RULES_DIR / "canary-alerts.yaml").read_text()
    (tmp_path / "canary-alerts.yaml").write_text(broken)
    shutil.copy(RULES_DIR / "canary-alerts.test.yaml", tmp_path)
    binary = shutil.which("promtool")
    assert binary
    result = subprocess.run(
        [binary, "test", "rules", "canary-alerts.test.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "CanaryRoutingOnFallback" in result.stdout + result.stderr
