"""The guarded rollout's `analyse` job: one look at the step, and the verdict as variables.

Thin glue: read the step's figures (`workers.guarded.figures.step_figures`, the one query),
decide (`workers.guarded.analysis.analyse`, pure), return the verdict. Anything that stops
it (Postgres down, a malformed variable) fails the job with backoff
(`rollout_failures`); when the retries run out the incident sits on `analyse` and the rollout
waits there: it never promotes without a verdict.

Time is counted in looks, not read from a clock: the step has run ``stepLooks x interval``
when its timer fired that often. So the bake follows Camunda's timers (and a pinned test
clock), and a pause does not count as baking. The figures' window starts at
``stepStartedAt``, the database's clock when `set rate` wrote the step's rate.

Variables it returns: ``verdict`` (rollback / continue / promote, the model's gateway reads
it), ``verdictReasons``, ``figures`` (this step's per-version figures, the look, the latency
ratio), ``evidence`` (the running log-likelihood ratios the next look starts from),
``holdStarted`` (true on the first look of a step that is holding) and ``stepLooks``.
"""

from datetime import datetime
from typing import Any

import structlog
from pyzeebe import Job

from workers.guarded.analysis import Evidence, StepFigures, Verdict, VersionFigures, analyse
from workers.guarded.figures import step_figures
from workers.guarded.plan import settings_from_variables
from workers.guarded.process import StepKey, Variable
from workers.tasks.job_context import job_fields
from workers.tasks.rollout_failures import RolloutTask
from workers.tasks.rollout_set_rate import Connector

log = structlog.get_logger(__name__)


def _previous(figures: Any, step_number: Any) -> tuple[StepFigures, bool]:
    """The previous look's figures and holding flag, if that look was in this step."""
    if not isinstance(figures, dict) or figures.get("step") != step_number:
        return StepFigures(), False
    previous = StepFigures(
        VersionFigures.from_json(figures.get("baseline")),
        VersionFigures.from_json(figures.get("canary")),
    )
    return previous, bool(figures.get("holding"))


def verdict_variables(
    verdict: Verdict, figures: StepFigures, *, step_number: Any, looks: int, hold_started: bool
) -> dict[str, Any]:
    return {
        Variable.VERDICT: verdict.decision.value,
        Variable.VERDICT_REASONS: list(verdict.reasons),
        Variable.FIGURES: {
            "step": step_number,
            "look": looks,
            "baseline": figures.baseline.to_json(),
            "canary": figures.canary.to_json(),
            "canaryShare": figures.canary_share,
            "latencyRatio": verdict.latency_ratio,
            "holding": verdict.holding,
            "noWorse": verdict.no_worse,
        },
        Variable.EVIDENCE: verdict.evidence.to_json(),
        Variable.HOLD_STARTED: hold_started,
        Variable.STEP_LOOKS: looks,
    }


def make_analyse(connect: Connector) -> RolloutTask:
    """The task function, closed over how it gets a connection; callable without a worker."""

    async def analyse_step(job: Job, **_variables: Any) -> dict[str, Any]:
        variables = job.variables
        settings = settings_from_variables(variables)
        rollout = str(variables[Variable.ROLLOUT_NAME])
        step = variables.get(Variable.STEP)
        step_number = step.get(StepKey.NUMBER) if isinstance(step, dict) else None
        started = datetime.fromisoformat(str(variables[Variable.STEP_STARTED_AT]))
        looks_before = variables.get(Variable.STEP_LOOKS)
        looks = (looks_before if isinstance(looks_before, int) else 0) + 1
        interval = variables.get(Variable.INTERVAL_SECONDS)
        if not isinstance(interval, int | float) or interval <= 0:
            raise ValueError(f"process variable {Variable.INTERVAL_SECONDS} must be positive")
        before, was_holding = _previous(variables.get(Variable.FIGURES), step_number)

        async with connect() as conn:
            figures = await step_figures(
                conn,
                rollout,
                since=started,
                baseline_version=settings.baseline_version,
                canary_version=settings.canary_version,
            )
        verdict = analyse(
            figures,
            before=before,
            evidence=Evidence.from_json(variables.get(Variable.EVIDENCE)),
            settings=settings,
            elapsed_seconds=looks * float(interval),
        )
        log.info(
            "rollout verdict",
            **job_fields(job),
            rollout=rollout,
            step=step_number,
            look=looks,
            verdict=verdict.decision.value,
            reasons=list(verdict.reasons),
            failure_llr=round(verdict.evidence.failure_llr, 4),
            incident_llr=round(verdict.evidence.incident_llr, 4),
        )
        return verdict_variables(
            verdict,
            figures,
            step_number=step_number,
            looks=looks,
            hold_started=verdict.holding and not was_holding,
        )

    return analyse_step
