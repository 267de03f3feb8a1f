"""The event a guarded rollout's `notify` job sends: a small JSON object with a Slack-style text.

Pure. The JSON carries the rollout, the event, the step and the last verdict with its figures,
so a receiver can act on it; ``text`` is one readable line, the field Slack's and Mattermost's
incoming webhooks (and most chat bridges) display.
"""

from collections.abc import Mapping
from typing import Any

from workers.guarded.process import NotifyEvent, StepKey, Variable
from workers.routing import format_rate


def _rate(value: Any) -> str:
    return format_rate(float(value)) if isinstance(value, int | float) else "?"


def current_step(variables: Mapping[str, Any]) -> Any:
    """The step in scope; outside the step's own scope (rollback, abort), the one `set rate`
    last began."""
    step = variables.get(Variable.STEP)
    return step if isinstance(step, dict) else variables.get(Variable.CURRENT_STEP)


def step_of(variables: Mapping[str, Any]) -> str:
    """``step 2 of 5`` (empty before the first step began)."""
    step = current_step(variables)
    steps = variables.get(Variable.STEPS)
    if not isinstance(step, dict):
        return ""
    total = f" of {len(steps)}" if isinstance(steps, list) else ""
    return f"step {step.get(StepKey.NUMBER, '?')}{total}"


def _step(variables: Mapping[str, Any]) -> str:
    step = current_step(variables)
    rate = _rate(step.get(StepKey.RATE)) if isinstance(step, dict) else "?"
    return f"{step_of(variables)} ({rate})"


def reasons_of(variables: Mapping[str, Any]) -> str:
    """The last verdict's reasons, joined."""
    reasons = variables.get(Variable.VERDICT_REASONS)
    if isinstance(reasons, list) and reasons:
        return "; ".join(str(r) for r in reasons)
    return ""


def event_text(event: NotifyEvent, variables: Mapping[str, Any]) -> str:
    """One line for people: what happened to which rollout, and why."""
    name = variables.get(Variable.ROLLOUT_NAME, "?")
    canary = variables.get(Variable.CANARY_VERSION, 2)
    dry = " (dry run)" if variables.get(Variable.DRY_RUN) else ""
    why = reasons_of(variables)
    if event is NotifyEvent.STARTED:
        steps = variables.get(Variable.STEPS)
        rates = (
            " -> ".join(_rate(s.get(StepKey.RATE)) for s in steps if isinstance(s, dict))
            if isinstance(steps, list)
            else "?"
        )
        text = f"Guarded rollout {name} started: {rates}"
    elif event is NotifyEvent.STEP:
        text = f"Guarded rollout {name}: {_step(variables)} begins"
    elif event is NotifyEvent.PAUSED:
        manual = variables.get(Variable.MANUAL_RATE)
        cause = (
            f": the rate was changed by hand to {_rate(manual)}"
            if variables.get(Variable.RATE_CHANGED_BY_HAND)
            else ""
        )
        text = f"Guarded rollout {name} paused at {_step(variables)}{cause}; resume to go on"
    elif event is NotifyEvent.HOLD:
        text = f"Guarded rollout {name} holding at {_step(variables)}: {why or 'data thin'}"
    elif event is NotifyEvent.PROMOTED:
        text = f"Guarded rollout {name} promoted: 100% on v{canary}"
    elif event is NotifyEvent.ROLLED_BACK:
        text = f"Guarded rollout {name} ROLLED BACK to 0% at {_step(variables)}: {why or '?'}"
    else:
        reason = variables.get(Variable.ABORT_REASON) or "no reason given"
        text = f"Guarded rollout {name} aborted, rate 0%: {reason}"
    return text + dry


def event_payload(
    event: NotifyEvent, variables: Mapping[str, Any], *, process_instance_key: int
) -> dict[str, Any]:
    """The JSON body POSTed to the webhook."""
    return {
        "text": event_text(event, variables),
        "event": event.value,
        "rollout": variables.get(Variable.ROLLOUT_NAME),
        "processInstanceKey": str(process_instance_key),
        "step": variables.get(Variable.STEP),
        "verdict": variables.get(Variable.VERDICT),
        "reasons": variables.get(Variable.VERDICT_REASONS) or [],
        "figures": variables.get(Variable.FIGURES),
        "dryRun": bool(variables.get(Variable.DRY_RUN)),
    }
