"""The guarded-rollout process (bpmn/guarded-rollout.bpmn): the names code and model share.

Every id, message name, job type, header and variable the workers, the CLI and the tests use
is here, once; tests/unit/test_guarded_rollout_model.py checks the XML against it.

The shape, in short: a message start event (correlation key = the rollout name, so Zeebe runs
at most one rollout per name) -> notify "started" -> a sequential multi-instance sub-process
over ``steps``. Each step: optional approval (a Camunda user task) -> held while ``paused`` ->
``set rate`` -> paused if the rate was changed by hand (then ``set rate`` again on resume) ->
notify "step" -> unless the step is 100 %, a loop: wait for the interval timer -> held while
``paused`` -> ``analyse`` -> rollback (an error end event, caught on the sub-process), promote
(next step), or continue. After the steps: set 100 % (a no-op after a 100 % step, the jump
after promote-full) -> notify "promoted" -> end "Promoted". Rollback and the abort event
sub-process set the rate to 0, notify, and end in their own end events, so Operate counts
promoted, rolled-back and aborted rollouts apart.

Pause and promote-full are event sub-processes of the step, so Zeebe holds their
subscriptions for as long as a step is active, whatever the step is doing: pause
(non-interrupting) sets ``paused`` and notifies, and the step holds at its next gate (before
its rate is set, before a look); promote-full (interrupting) ends the step, and the loop's
completion condition skips the rest. A resume is caught where the step waits
(`RESUME_POINTS`: exactly one of them is active at a time, so a resume never has two
subscriptions to choose from) and clears ``paused``.

This module imports nothing from the rest of the project: the analysis, the plan, the tasks
and the CLI all depend on it, never the other way round.
"""

from enum import StrEnum
from typing import Final

PROCESS_ID: Final = "guarded-rollout"
PROCESS_NAME: Final = "Guarded rollout"
#: File name under bpmn/.
MODEL_FILE: Final = "guarded-rollout.bpmn"


class Message(StrEnum):
    """Message names. Each is correlated by the rollout name (the ``rolloutName`` variable)."""

    START = "guarded-rollout-start"
    ABORT = "guarded-rollout-abort"
    PAUSE = "guarded-rollout-pause"
    RESUME = "guarded-rollout-resume"
    PROMOTE_FULL = "guarded-rollout-promote-full"


class JobType(StrEnum):
    SET_RATE = "rollout-set-rate"
    ANALYSE = "rollout-analyse"
    NOTIFY = "rollout-notify"


#: Task header of every `set rate` task: what it sets the rate for.
ACTION_HEADER: Final = "action"
#: Task header of every `notify` task: which event it announces.
EVENT_HEADER: Final = "event"


class SetRateAction(StrEnum):
    STEP = "step"  # the step's rate
    RESUME = "resume"  # the step's rate again, after a pause for a change by hand
    PROMOTE = "promote"  # 100 %, after promote-full skipped the remaining steps
    ROLLBACK = "rollback"  # 0
    ABORT = "abort"  # 0


class NotifyEvent(StrEnum):
    STARTED = "started"
    STEP = "step"
    PAUSED = "paused"
    HOLD = "hold"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled-back"
    ABORTED = "aborted"


#: BPMN error thrown by the "Roll back" end event inside a step, caught on the steps loop.
ROLLBACK_ERROR_CODE: Final = "ROLLBACK"


class Element(StrEnum):
    """Element ids that code, tests or Operate's per-element counts refer to."""

    START = "rollout-requested"
    NOTIFY_STARTED = "notify-started"
    STEPS = "steps"
    APPROVE_STEP = "approve-step"
    SET_RATE = "set-rate"
    NOTIFY_MANUAL_PAUSE = "notify-manual-pause"
    RESUMED_AFTER_MANUAL = "resumed-after-manual"
    SET_RATE_RESUMED = "set-rate-resumed"
    NOTIFY_STEP = "notify-step"
    WAIT_FOR_LOOK = "wait-for-look"
    INTERVAL_ELAPSED = "interval-elapsed"
    RESUMED_WHILE_BAKING = "resumed-while-baking"
    PAUSED_BEFORE_LOOK = "paused-before-look"
    RESUMED = "resumed"
    PAUSED_BEFORE_RATE = "paused-before-rate"
    RESUMED_BEFORE_RATE = "resumed-before-rate"
    RESUMED_DURING_APPROVAL = "resumed-during-approval"
    PAUSE = "pause"
    PAUSE_REQUESTED = "pause-requested"
    NOTIFY_PAUSED = "notify-paused"
    PROMOTE_FULL = "promote-full"
    PROMOTE_FULL_REQUESTED = "promote-full-requested"
    ANALYSE = "analyse"
    ROLLBACK = "rollback"
    NOTIFY_HOLD = "notify-hold"
    ROLLBACK_CAUGHT = "rollback-caught"
    SET_RATE_ROLLBACK = "set-rate-rollback"
    NOTIFY_ROLLED_BACK = "notify-rolled-back"
    SET_RATE_FULL = "set-rate-full"
    NOTIFY_PROMOTED = "notify-promoted"
    ABORT = "abort"
    ABORT_REQUESTED = "abort-requested"
    SET_RATE_ABORT = "set-rate-abort"
    NOTIFY_ABORTED = "notify-aborted"


class EndEvent(StrEnum):
    """The three ways a rollout ends; Operate counts each apart."""

    PROMOTED = "rollout-promoted"
    ROLLED_BACK = "rollout-rolled-back"
    ABORTED = "rollout-aborted"


#: Service task -> (job type, header key, header value).
SERVICE_TASKS: Final[dict[Element, tuple[JobType, str, str]]] = {
    Element.NOTIFY_STARTED: (JobType.NOTIFY, EVENT_HEADER, NotifyEvent.STARTED),
    Element.SET_RATE: (JobType.SET_RATE, ACTION_HEADER, SetRateAction.STEP),
    Element.NOTIFY_MANUAL_PAUSE: (JobType.NOTIFY, EVENT_HEADER, NotifyEvent.PAUSED),
    Element.SET_RATE_RESUMED: (JobType.SET_RATE, ACTION_HEADER, SetRateAction.RESUME),
    Element.NOTIFY_STEP: (JobType.NOTIFY, EVENT_HEADER, NotifyEvent.STEP),
    Element.NOTIFY_PAUSED: (JobType.NOTIFY, EVENT_HEADER, NotifyEvent.PAUSED),
    Element.ANALYSE: (JobType.ANALYSE, "", ""),
    Element.NOTIFY_HOLD: (JobType.NOTIFY, EVENT_HEADER, NotifyEvent.HOLD),
    Element.SET_RATE_ROLLBACK: (JobType.SET_RATE, ACTION_HEADER, SetRateAction.ROLLBACK),
    Element.NOTIFY_ROLLED_BACK: (JobType.NOTIFY, EVENT_HEADER, NotifyEvent.ROLLED_BACK),
    Element.SET_RATE_FULL: (JobType.SET_RATE, ACTION_HEADER, SetRateAction.PROMOTE),
    Element.NOTIFY_PROMOTED: (JobType.NOTIFY, EVENT_HEADER, NotifyEvent.PROMOTED),
    Element.SET_RATE_ABORT: (JobType.SET_RATE, ACTION_HEADER, SetRateAction.ABORT),
    Element.NOTIFY_ABORTED: (JobType.NOTIFY, EVENT_HEADER, NotifyEvent.ABORTED),
}

#: Retries of the `analyse` task: with the rollout tasks' backoff (full jitter below 5, 10,
#: 20, 40, 60 s) up to about two minutes of a database outage are retried before the incident.
ANALYSE_RETRIES: Final = 6
#: Retries of every other service task.
TASK_RETRIES: Final = 3


class Variable(StrEnum):
    """Process variables. The first group is set by `canary rollout start` (plan.py)."""

    ROLLOUT_NAME = "rolloutName"
    STEPS = "steps"
    INTERVAL = "interval"  # ISO 8601 duration, for the timer
    INTERVAL_SECONDS = "intervalSeconds"
    BAKE_SECONDS = "bakeSeconds"
    MIN_ATTEMPTS = "minAttempts"
    MAX_FAILURE_RATIO = "maxFailureRatio"
    MAX_LATENCY_RATIO = "maxLatencyRatio"
    ALPHA = "alpha"
    BETA = "beta"
    BASELINE_VERSION = "baselineVersion"
    CANARY_VERSION = "canaryVersion"
    DRY_RUN = "dryRun"
    PROMOTE_FULL = "promoteFull"
    #: Set by the pause event sub-process, cleared by every resume (absent until a pause).
    PAUSED = "paused"
    # the multi-instance element: one item of `steps`
    STEP = "step"
    # set by `set rate`
    #: The step a `set rate` began, kept at the root scope: `step` is local to the step's own
    #: scope, and rollback, abort and `status` need to name the step from outside it.
    CURRENT_STEP = "currentStep"
    STEP_STARTED_AT = "stepStartedAt"
    STEP_LOOKS = "stepLooks"
    EXPECTED_RATE = "expectedRate"
    RATE_CHANGED_BY_HAND = "rateChangedByHand"
    MANUAL_RATE = "manualRate"
    RATE_SET = "rateSet"
    # set by `analyse`
    VERDICT = "verdict"
    VERDICT_REASONS = "verdictReasons"
    FIGURES = "figures"
    EVIDENCE = "evidence"
    HOLD_STARTED = "holdStarted"
    # carried by the abort message
    ABORT_REASON = "abortReason"


class StepKey(StrEnum):
    """Keys of one item of the ``steps`` list."""

    NUMBER = "number"
    RATE = "rate"
    APPROVE = "approve"
    ANALYSE = "analyse"


#: The FEEL conditions of the model, by sequence flow id; verdict values are analysis.Decision.
CONDITIONS: Final[dict[str, str]] = {
    "to-approve-step": f"= {Variable.STEP}.{StepKey.APPROVE}",
    "to-manual-pause": f"= {Variable.RATE_CHANGED_BY_HAND}",
    "to-looks": f"= {Variable.STEP}.{StepKey.ANALYSE}",
    "to-rollback": f'= {Variable.VERDICT} = "rollback"',
    "to-step-passed": f'= {Variable.VERDICT} = "promote"',
    "to-notify-hold": f"= {Variable.HOLD_STARTED}",
    # `paused` is absent until the first pause: `= paused` would be null there (an incident),
    # `= paused = true` is false (FEEL's equality with null).
    "held-before-rate": f"= {Variable.PAUSED} = true",
    "held-before-look": f"= {Variable.PAUSED} = true",
}
#: The multi-instance loop over the steps ends early once promote-full was requested. The
#: event sub-process's start event sets it by an output mapping, which Zeebe propagates to the
#: scope that holds it: the root, where `canary rollout start` sets it to false.
STEPS_COMPLETION_CONDITION: Final = f"= {Variable.PROMOTE_FULL}"
#: The timer between two looks.
INTERVAL_TIMER: Final = f"= {Variable.INTERVAL}"
#: Where a paused step waits, and so where a resume is caught: the approval (a boundary
#: event), the bake's wait (a branch of the event-based gateway), the two holds, and the pause
#: after a change by hand. One token per step: at most one of them is active at a time.
RESUME_POINTS: Final = (
    Element.APPROVE_STEP,
    Element.WAIT_FOR_LOOK,
    Element.RESUMED_BEFORE_RATE,
    Element.RESUMED,
    Element.RESUMED_AFTER_MANUAL,
)
#: Correlation key of every message subscription.
CORRELATION_KEY: Final = f"= {Variable.ROLLOUT_NAME}"
