"""Guarded-rollout plans: parsed from the command line, refused with one line, start variables."""

import ast
import importlib.util
from pathlib import Path

import pytest

from workers.errors import InputError
from workers.guarded.plan import iso_duration, plan_rollout, settings_from_variables
from workers.guarded.process import Variable


def test_the_issue_example_becomes_five_steps_with_approval_gates():
    plan = plan_rollout(
        rollout="verifymenow",
        steps="1%,5%,25%,50%,100%",
        interval="1m",
        bake="10m",
        approve_before="50%,100%",
        min_attempts=200,
        max_failure_ratio=2,
    )
    assert [s.rate for s in plan.steps] == [0.01, 0.05, 0.25, 0.5, 1.0]
    assert [s.number for s in plan.steps] == [1, 2, 3, 4, 5]
    assert [s.approve for s in plan.steps] == [False, False, False, True, True]
    assert [s.analysed for s in plan.steps] == [True, True, True, True, False]
    assert plan.interval.total_seconds() == 60
    assert plan.analysis.bake_seconds == 600
    assert plan.analysis.min_attempts == 200
    assert plan.describe() == (
        "verifymenow: 1% -> 5% -> 25% -> 50% (approve) -> 100% (approve), look every 1m,"
        " bake 10m, min 200 attempts per version, v2 vs v1"
    )


def test_steps_stopping_short_of_100_percent_end_at_100_percent():
    plan = plan_rollout(rollout="verifymenow", steps="0.05,0.2")
    assert [s.rate for s in plan.steps] == [0.05, 0.2, 1.0]


def test_start_variables_set_everything_the_process_reads():
    plan = plan_rollout(rollout="verifymenow", steps="10%", interval="30s", bake="2m", dry_run=True)
    variables = plan.start_variables()
    assert variables[Variable.ROLLOUT_NAME] == "verifymenow"
    assert variables[Variable.STEPS] == [
        {"number": 1, "rate": 0.1, "approve": False, "analyse": True},
        {"number": 2, "rate": 1.0, "approve": False, "analyse": False},
    ]
    assert variables[Variable.INTERVAL] == "PT30S"
    assert variables[Variable.DRY_RUN] is True
    assert variables[Variable.PROMOTE_FULL] is False
    assert variables[Variable.EVIDENCE] == {"failureLlr": 0.0, "incidentLlr": 0.0}
    # every variable the model's conditions name starts out set, never null
    for name in (Variable.RATE_CHANGED_BY_HAND, Variable.HOLD_STARTED, Variable.PROMOTE_FULL):
        assert variables[name] is False
    assert set(variables) >= {v.value for v in Variable} - {
        Variable.STEP,  # the multi-instance element
        Variable.STEP_STARTED_AT,
        Variable.MANUAL_RATE,
        Variable.RATE_SET,
        Variable.ABORT_REASON,
        # Set by the first pause; the gates test `= paused = true`, false while absent.
        Variable.PAUSED,
    }


def test_settings_read_back_from_the_variables_are_the_plans():
    plan = plan_rollout(rollout="x", min_attempts=7, max_failure_ratio=3, canary_version=3)
    assert settings_from_variables(plan.start_variables()) == plan.analysis


def test_settings_with_a_variable_missing_say_which():
    variables = plan_rollout(rollout="x").start_variables()
    del variables[Variable.ALPHA]
    with pytest.raises(ValueError, match="alpha is missing"):
        settings_from_variables(variables)


def test_iso_durations_for_the_timer():
    plan = plan_rollout(rollout="x", interval="1.5s", bake="3s")
    assert iso_duration(plan.interval) == "PT1.5S"
    assert (
        plan_rollout(rollout="x", interval="2h", bake="2h").start_variables()[Variable.INTERVAL]
        == "PT7200S"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": "5%,1%"}, "--steps must rise: 1% follows 5%"),
        ({"steps": "5%,5%"}, "--steps must rise: 5% follows 5%"),
        ({"steps": "0%,5%"}, "a step of 0% sends nobody"),
        ({"steps": "5%,120%"}, "--steps: rate '120%' is outside 0..1"),
        ({"steps": "-0.1"}, "--steps: rate '-0.1' is outside 0..1"),
        ({"steps": "5%,,50%"}, "comma-separated list"),
        ({"steps": "lots"}, "is not a number"),
        ({"interval": "5m", "bake": "1m"}, "--bake 1m is shorter than --interval 5m"),
        ({"interval": "0.5s", "bake": "1m"}, "shorter than 1s"),
        ({"interval": "soon"}, "--interval 'soon' is not a duration"),
        ({"approve_before": "30%"}, "--approve-before 30% is not one of the steps"),
        ({"min_attempts": 0}, "--min-attempts must be a whole number of at least 1"),
        ({"max_failure_ratio": 1.0}, "--max-failure-ratio must be greater than 1"),
        ({"canary_version": 1}, "--baseline and --canary must differ, got v1 for both"),
        ({"baseline_version": 0}, "--baseline must be a whole number of at least 1"),
        ({"canary_version": 40000}, "--canary must be at most 32767"),
        ({"rollout": "Not A Name"}, "rollout name 'Not A Name' is invalid"),
    ],
)
def test_bad_input_is_refused_with_one_line(kwargs, message):
    arguments = {"rollout": "verifymenow"} | kwargs
    with pytest.raises(InputError, match=message) as caught:
        plan_rollout(**arguments)
    assert "\n" not in str(caught.value)


def imported_modules(module: str, seen: set[str] | None = None) -> set[str]:
    """Every module `module` imports, following our own modules (and their packages)."""
    seen = set() if seen is None else seen
    spec = importlib.util.find_spec(module)
    if module in seen or spec is None or spec.origin is None:
        return seen
    seen.add(module)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "workers":
                # importing a.b.c runs a/__init__.py and a/b/__init__.py too
                for end in range(1, len(parts) + 1):
                    imported_modules(".".join(parts[:end]), seen)
            else:
                seen.add(name)
    return seen


@pytest.mark.parametrize("module", ["workers.guarded.analysis", "workers.guarded.plan"])
def test_the_analysis_and_the_plan_import_no_database_http_or_zeebe_client(module):
    tops = {name.split(".")[0] for name in imported_modules(module)}
    assert not tops & {"psycopg", "psycopg_pool", "httpx", "pyzeebe", "grpc", "rich"}
