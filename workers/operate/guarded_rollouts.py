"""Guarded rollouts as Camunda holds them: find one by name, read where it is, steer it.

Reads go through the Camunda REST API (`camunda_rest`, one path for a real cluster and the dev
engine): the process instance of a rollout (searched by its ``rolloutName`` variable), its
variables (step, verdict, figures), where its tokens wait (element statistics of the one
instance) and its open approval (Tasklist's user-task search). Control actions publish the
model's messages over the Zeebe gateway with the rollout name as correlation key and a time to
live of 0: a message the rollout cannot take now is dropped, never buffered to act later on
this rollout or on the next one of the same name. So each action first checks that the
rollout is where the message has a subscription, and says so in one line if not. Pause and
promote-full are taken wherever a step is (the step's event sub-processes); resume where a
paused step waits (`process.RESUME_POINTS`); abort anywhere (the process's).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pyzeebe import ZeebeClient
from pyzeebe.errors import PyZeebeError

from workers.errors import InputError
from workers.guarded.process import (
    PROCESS_ID,
    RESUME_POINTS,
    Element,
    EndEvent,
    Message,
    StepKey,
    Variable,
)
from workers.operate.camunda_rest import (
    CamundaRestClient,
    ElementStatistics,
    ProcessInstance,
)
from workers.operate.deploy import GatewayError, gateway_detail

#: How long a control action waits for the rollout to reach a point that takes its message
#: (an `analyse` or `set rate` job between two looks takes milliseconds to a few seconds).
SETTLE_SECONDS: Final = 10.0
SETTLE_POLL_SECONDS: Final = 0.25
#: A gateway that accepts the connection but never answers must not hang the command.
PUBLISH_TIMEOUT: Final = 30.0
#: Rollouts `list` shows, newest first.
LIST_LIMIT: Final = 50

Publish = Callable[[Message, str, dict[str, Any]], Awaitable[None]]
"""Publish a message: (name, correlation key, variables), time to live 0."""


#: The phases on the way to an end event, by the elements that show them.
_ENDING_PHASES: Final[tuple[tuple[tuple[Element, ...], str], ...]] = (
    ((Element.SET_RATE_ABORT, Element.NOTIFY_ABORTED), "aborting"),
    ((Element.SET_RATE_ROLLBACK, Element.NOTIFY_ROLLED_BACK), "rolling back"),
    ((Element.SET_RATE_FULL, Element.NOTIFY_PROMOTED), "promoting"),
)
_ENDINGS: Final = tuple(e for elements, _ in _ENDING_PHASES for e in elements)


@dataclass(frozen=True, slots=True)
class RolloutState:
    """One guarded rollout as Camunda shows it (and the rate as the store has it)."""

    name: str
    instance: ProcessInstance
    #: Element id -> statistics, for this one instance.
    elements: dict[str, ElementStatistics]
    #: Root-scope variables, and the current step (a variable of the step's own scope).
    variables: dict[str, Any]
    step: dict[str, Any] | None
    rate: float | None = None
    incidents: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.instance.state == "ACTIVE"

    @property
    def end(self) -> EndEvent | None:
        """How it ended: promoted, rolled back or aborted (None while running, or canceled)."""
        return end_of(self.elements.values())

    @property
    def outcome(self) -> str:
        return outcome_of(self.instance, self.elements.values())

    def active(self, *elements: Element) -> bool:
        return any(
            (found := self.elements.get(e.value)) is not None and found.active for e in elements
        )

    @property
    def paused_by_hand(self) -> bool:
        """Paused because a person changed the rate: resume sets the step's rate again."""
        return self.active(Element.NOTIFY_MANUAL_PAUSE, Element.RESUMED_AFTER_MANUAL)

    @property
    def paused(self) -> bool:
        """Paused by `canary rollout pause` (the ``paused`` flag) or by a change by hand."""
        return self.running and (self.variables.get(Variable.PAUSED) is True or self.paused_by_hand)

    @property
    def in_steps(self) -> bool:
        """A step is active: the step's pause and promote-full subscriptions are open."""
        return self.running and self.active(Element.STEPS) and not self.ending

    @property
    def ending(self) -> bool:
        """On its way to an end event: rolling back, aborting or promoting."""
        return self.active(*_ENDINGS)

    @property
    def phase(self) -> str:
        """Where a running rollout is, in words (the first that holds, in this order)."""
        if not self.running:
            return self.outcome
        figures = self.variables.get(Variable.FIGURES)
        holding = isinstance(figures, dict) and bool(figures.get("holding"))
        approval = self.active(Element.APPROVE_STEP)
        phases: list[tuple[bool, str]] = [
            (bool(self.incidents), "stuck: incident (" + "; ".join(self.incidents) + ")"),
            *((self.active(*elements), text) for elements, text in _ENDING_PHASES),
            (
                self.paused_by_hand,
                "paused: the rate was changed by hand; resume sets the step's rate again",
            ),
            (self.paused, "paused (its approval still open)" if approval else "paused"),
            (approval, "waiting for approval"),
            (
                self.active(Element.WAIT_FOR_LOOK),
                "holding: data too thin" if holding else "baking",
            ),
            (self.active(Element.ANALYSE), "analysing"),
        ]
        return next((text for holds, text in phases if holds), "moving on")

    @property
    def bake_left_seconds(self) -> float | None:
        """The bake time the current step has left, counted in looks as `analyse` does."""
        bake = self.variables.get(Variable.BAKE_SECONDS)
        interval = self.variables.get(Variable.INTERVAL_SECONDS)
        looks = self.variables.get(Variable.STEP_LOOKS)
        if not all(isinstance(v, int | float) for v in (bake, interval, looks)):
            return None
        return max(0.0, float(bake) - float(looks) * float(interval))  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        steps = self.variables.get(Variable.STEPS)
        step = self.step or {}
        return {
            "rollout": self.name,
            "processInstanceKey": self.instance.key,
            "state": self.outcome,
            "phase": self.phase,
            "paused": self.paused,
            "startDate": self.instance.start_date,
            "endDate": self.instance.end_date,
            "step": step.get(StepKey.NUMBER),
            "steps": len(steps) if isinstance(steps, list) else None,
            "stepRate": step.get(StepKey.RATE),
            "rate": self.rate,
            "looks": self.variables.get(Variable.STEP_LOOKS),
            "bakeLeftSeconds": self.bake_left_seconds,
            "verdict": self.variables.get(Variable.VERDICT),
            "reasons": self.variables.get(Variable.VERDICT_REASONS) or [],
            "figures": self.variables.get(Variable.FIGURES),
            "dryRun": bool(self.variables.get(Variable.DRY_RUN)),
            "baselineVersion": self.variables.get(Variable.BASELINE_VERSION),
            "canaryVersion": self.variables.get(Variable.CANARY_VERSION),
            "incidents": self.incidents,
        }


def end_of(statistics: Iterable[ElementStatistics]) -> EndEvent | None:
    """The end event an instance completed, from its element statistics."""
    ended = {s.element_id for s in statistics if s.completed}
    return next((end for end in EndEvent if end.value in ended), None)


def outcome_of(instance: ProcessInstance, statistics: Iterable[ElementStatistics]) -> str:
    """running, promoted, rolled-back, aborted, or canceled (ended without an end event)."""
    if instance.state == "ACTIVE":
        return "running"
    end = end_of(statistics)
    return end.value.removeprefix("rollout-") if end is not None else "canceled"


async def find_instance(
    rest: CamundaRestClient, name: str, *, running_only: bool = False
) -> ProcessInstance | None:
    """The running rollout of `name`; else (unless `running_only`) the one that ended last."""
    found = await rest.process_instances(
        PROCESS_ID, state="ACTIVE", variables={Variable.ROLLOUT_NAME: name}
    )
    if found or running_only:
        return found[0] if found else None
    ended = await rest.process_instances(PROCESS_ID, variables={Variable.ROLLOUT_NAME: name})
    return ended[0] if ended else None


async def require_instance(
    rest: CamundaRestClient, name: str, *, running_only: bool = False
) -> ProcessInstance:
    instance = await find_instance(rest, name, running_only=running_only)
    if instance is not None:
        return instance
    if running_only and await find_instance(rest, name) is not None:
        raise InputError(f"guarded rollout {name!r} is not running (see `canary rollout status`)")
    raise InputError(
        f"no guarded rollout {name!r} in Camunda (start one with `canary rollout start {name}`)"
    )


async def same_instance(
    rest: CamundaRestClient, name: str, instance: ProcessInstance
) -> ProcessInstance:
    """`instance` as Camunda shows it now (its state changes when the rollout ends)."""
    found = await rest.process_instances(PROCESS_ID, variables={Variable.ROLLOUT_NAME: name})
    return next((i for i in found if i.key == instance.key), instance)


async def read_state(
    rest: CamundaRestClient, name: str, instance: ProcessInstance, *, rate: float | None = None
) -> RolloutState:
    """Everything `status` shows of one rollout instance."""
    statistics = await rest.instance_statistics(instance.process_definition_key, instance.key)
    variables: dict[str, Any] = {}
    step: dict[str, Any] | None = None
    for variable in await rest.variables(process_instance_key=instance.key):
        if variable.scope_key == instance.key:
            variables[variable.name] = variable.value
        elif variable.name == Variable.STEP and isinstance(variable.value, dict):
            # One `step` per step's scope; secondary storage keeps those of ended steps too.
            number = variable.value.get(StepKey.NUMBER)
            if step is None or (isinstance(number, int) and number > step.get(StepKey.NUMBER, 0)):
                step = variable.value
    if step is None and isinstance(variables.get(Variable.CURRENT_STEP), dict):
        step = variables[Variable.CURRENT_STEP]  # after the loop: the last step begun
    incidents: list[str] = []
    if any(s.incidents for s in statistics):
        open_incidents, _ = await rest.incidents(PROCESS_ID, limit=50)
        incidents = [
            f"{i.element_id}: {' '.join(i.error_message.split())}"
            for i in open_incidents
            if i.process_instance_key == instance.key
        ]
    return RolloutState(
        name=name,
        instance=instance,
        elements={s.element_id: s for s in statistics},
        variables=variables,
        step=step,
        rate=rate,
        incidents=incidents,
    )


@dataclass(frozen=True, slots=True)
class ListedRollout:
    name: str
    instance: ProcessInstance
    #: running, promoted, rolled-back, aborted or canceled.
    outcome: str


async def list_rollouts(rest: CamundaRestClient) -> list[ListedRollout]:
    """Guarded rollouts, running and ended, newest first, with their names and outcomes."""
    instances = (await rest.process_instances(PROCESS_ID))[:LIST_LIMIT]
    names = {
        v.process_instance_key: str(v.value)
        for v in await rest.variables(name=Variable.ROLLOUT_NAME)
        if v.scope_key == v.process_instance_key
    }
    listed = []
    for instance in instances:
        statistics: list[ElementStatistics] = []
        if instance.state != "ACTIVE":
            key = instance.process_definition_key
            statistics = await rest.instance_statistics(key, instance.key)
        outcome = outcome_of(instance, statistics)
        listed.append(ListedRollout(names.get(instance.key, "?"), instance, outcome))
    return listed


def refusal(message: Message, state: RolloutState) -> str | None:
    """Why `message` must not be sent to the rollout as it is now (None: send it, or wait).

    Consistent with `status`: a rollout that is paused refuses a second pause, one that is not
    refuses a resume, one on its way to an end refuses everything but abort.
    """
    action = message.value.removeprefix("guarded-rollout-")
    if not state.running:
        return f"guarded rollout {state.name!r} ended meanwhile ({state.outcome})"
    if message is Message.ABORT:
        return None
    why = None
    if state.ending:
        why = f"{action} is not taken any more"
    elif message is Message.PAUSE and state.paused:
        why = "pause is not taken twice; resume it, promote --full or abort"
    elif message is Message.RESUME and not state.paused:
        why = "resume is taken only while it is paused"
    elif message is Message.RESUME and state.incidents:
        why = "resume is taken once the incident is resolved (or abort)"
    if why is None:
        return None
    return f"guarded rollout {state.name!r} is {state.phase}: {why}; nothing was sent"


def takes(message: Message, state: RolloutState) -> bool:
    """Zeebe has a subscription for `message` now (`refusal` said it may be sent)."""
    if message is Message.ABORT:
        return True
    if message is Message.RESUME:
        return state.active(*RESUME_POINTS)
    return state.in_steps


async def send_control(
    rest: CamundaRestClient,
    publish: Publish,
    name: str,
    message: Message,
    variables: Mapping[str, Any] | None = None,
    *,
    settle_seconds: float = SETTLE_SECONDS,
) -> RolloutState:
    """Publish `message` to the running rollout `name` once it can take it.

    Abort is taken in every state, pause and promote-full in every state of a step (event
    sub-processes of the step), resume wherever a paused step waits. What `refusal` refuses is
    one line, and nothing is sent. A rollout between two points that take the message (before
    its first step, a resume while a job of the paused step runs) gets `settle_seconds` to
    reach one; one that does not is refused likewise.
    """
    instance = await require_instance(rest, name, running_only=True)
    state = await read_state(rest, name, instance)
    deadline = time.monotonic() + settle_seconds
    while True:
        refused = refusal(message, state)
        if refused is not None:
            raise InputError(refused)
        if takes(message, state):
            break
        if time.monotonic() >= deadline:
            action = message.value.removeprefix("guarded-rollout-")
            raise InputError(
                f"guarded rollout {name!r} is {state.phase}: it did not reach a point that takes"
                f" {action} within {settle_seconds:g} s; nothing was sent"
            )
        await asyncio.sleep(SETTLE_POLL_SECONDS)
        state = await read_state(rest, name, instance)
    await publish(message, name, dict(variables or {}))
    return state


async def approve(rest: CamundaRestClient, name: str, *, by: str) -> RolloutState:
    """Complete the approval the running rollout waits for, as Tasklist would."""
    instance = await require_instance(rest, name, running_only=True)
    tasks = [t for t in await rest.user_tasks(instance.key) if t.element_id == Element.APPROVE_STEP]
    state = await read_state(rest, name, instance)
    if not tasks:
        raise InputError(f"guarded rollout {name!r} is not waiting for an approval ({state.phase})")
    await rest.complete_user_task(tasks[0].key, {"approvedBy": by})
    return state


def make_publisher(client: ZeebeClient, *, address: str, tenant_id: str | None = None) -> Publish:
    """Publish over the Zeebe gateway with a time to live of 0 (see the module docstring)."""

    async def publish(message: Message, name: str, variables: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(
                client.publish_message(
                    message.value,
                    name,
                    variables,
                    time_to_live_in_milliseconds=0,
                    tenant_id=tenant_id,
                ),
                timeout=PUBLISH_TIMEOUT,
            )
        except TimeoutError:
            msg = f"the Zeebe gateway at {address} did not answer within {PUBLISH_TIMEOUT:g} s"
            raise GatewayError(msg) from None
        except PyZeebeError as exc:
            msg = f"cannot publish {message.value} to the Zeebe gateway at {address}:"
            raise GatewayError(f"{msg} {gateway_detail(exc)}") from None

    return publish
