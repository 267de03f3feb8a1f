"""Reading the parts of BPMN elements: extension elements, values, mappings, event definitions.

`ElementReader` holds what every element builder needs: the deployment's problems (reported
all at once, naming the element), the message and error declarations, and helpers that turn
attributes into static values or parsed FEEL expressions.
"""

import xml.etree.ElementTree as ET

from zeebe_devengine.bpmn.durations import parse_duration_ms
from zeebe_devengine.bpmn.model import (
    EventTrigger,
    Mapping,
    Timer,
    TimerKind,
    TriggerKind,
    Value,
)
from zeebe_devengine.bpmn.timers import parse_cycle, parse_date_ms
from zeebe_devengine.bpmn.xml import BPMN, ZEEBE, Problems, split
from zeebe_devengine.errors import FeelSyntaxError, InvalidArgumentError
from zeebe_devengine.feel.parser import Expression, is_expression, parse_attribute

EVENT_DEFINITIONS = {
    "messageEventDefinition": TriggerKind.MESSAGE,
    "timerEventDefinition": TriggerKind.TIMER,
    "errorEventDefinition": TriggerKind.ERROR,
    "terminateEventDefinition": TriggerKind.TERMINATE,
    "signalEventDefinition": "signal",
    "escalationEventDefinition": "escalation",
    "compensateEventDefinition": "compensation",
    "conditionalEventDefinition": "conditional",
    "linkEventDefinition": "link",
    "cancelEventDefinition": "cancel",
    "eventDefinitionRef": "referenced",
}
#: zeebe extension elements with no behaviour in the engine.
IGNORED_ZEEBE = {
    "properties",
    "versionTag",
    "userTaskForm",
    "formDefinition",
    "taskSchedule",
    "priorityDefinition",
}


def zeebe_extensions(element: ET.Element) -> list[ET.Element]:
    found: list[ET.Element] = []
    for container in element.findall(f"{{{BPMN}}}extensionElements"):
        found.extend(child for child in container if split(child.tag)[0] == ZEEBE)
    return found


class ElementReader:
    def __init__(
        self,
        problems: Problems,
        messages: dict[str, ET.Element],
        errors: dict[str, str | None],
    ) -> None:
        self.problems = problems
        self.messages = messages
        self.errors = errors

    # -- values and expressions -----------------------------------------------------------------

    def value(self, text: str, node_id: str, what: str) -> Value | None:
        if not is_expression(text):
            return Value(static=text)
        expression = self.expression(text, node_id, what)
        return None if expression is None else Value(expression=expression)

    def expression(self, text: str, node_id: str, what: str) -> Expression | None:
        try:
            return parse_attribute(text)
        except FeelSyntaxError as exc:
            self.problems.add(node_id, f"The {what} '{text.strip()}' is invalid: {exc}")
            return None

    # -- extension elements ---------------------------------------------------------------------

    def extensions(self, element: ET.Element, node_id: str, allowed: set[str]) -> list[ET.Element]:
        """The element's zeebe extensions; any outside `allowed` is a problem."""
        kept: list[ET.Element] = []
        for extension in zeebe_extensions(element):
            name = split(extension.tag)[1]
            if name == "loopCharacteristics":
                continue  # read with the multi-instance marker (refused on non-activities)
            if name in allowed:
                kept.append(extension)
            elif name not in IGNORED_ZEEBE:
                self.problems.add(node_id, f"zeebe:{name} is not supported here by the dev engine")
        return kept

    def io_mapping(
        self, extensions: list[ET.Element], node_id: str, *, inputs_allowed: bool
    ) -> tuple[tuple[Mapping, ...], tuple[Mapping, ...]]:
        inputs: list[Mapping] = []
        outputs: list[Mapping] = []
        for container in (e for e in extensions if split(e.tag)[1] == "ioMapping"):
            for child in container:
                namespace, name = split(child.tag)
                if namespace != ZEEBE or name not in {"input", "output"}:
                    continue
                if name == "input" and not inputs_allowed:
                    self.problems.add(
                        node_id,
                        "Input mappings on this element are not supported by the dev engine",
                    )
                    continue
                mapping = self._mapping(child, node_id)
                if mapping is not None:
                    (inputs if name == "input" else outputs).append(mapping)
        return tuple(inputs), tuple(outputs)

    def _mapping(self, element: ET.Element, node_id: str) -> Mapping | None:
        target = (element.get("target") or "").strip()
        parts = tuple(target.split("."))
        if not target or not all(part.isidentifier() for part in parts):
            self.problems.add(node_id, f"The mapping target '{target}' is not a variable name")
            return None
        source = self.value(element.get("source") or "", node_id, f"mapping to '{target}'")
        if source is None:
            return None
        return Mapping(source=source, target=parts)

    # -- event definitions ----------------------------------------------------------------------

    def event_trigger(  # noqa: PLR0911 - one return per outcome
        self, element: ET.Element, node_id: str, allowed: set[TriggerKind], what: str
    ) -> EventTrigger | None:
        """The element's trigger (NONE without a definition); None when refused (recorded)."""
        found = [
            (EVENT_DEFINITIONS[split(child.tag)[1]], child)
            for child in element
            if split(child.tag)[0] == BPMN and split(child.tag)[1] in EVENT_DEFINITIONS
        ]
        if len(found) > 1:
            self.problems.add(
                node_id, "Multiple event definitions are not supported by the dev engine"
            )
            return None
        if not found:
            if TriggerKind.NONE not in allowed:
                self.problems.add(node_id, f"{what.capitalize()} need an event definition")
                return None
            return EventTrigger()
        kind, definition = found[0]
        if kind not in allowed:
            self.problems.add(
                node_id, f"{str(kind).capitalize()} {what} are not supported by the dev engine"
            )
            return None
        assert isinstance(kind, TriggerKind)  # noqa: S101 - every allowed kind is one
        if kind is TriggerKind.MESSAGE:
            return self._message_trigger(definition, node_id)
        if kind is TriggerKind.ERROR:
            return self._error_trigger(definition, node_id, catching="end" not in what)
        if kind is TriggerKind.TIMER:
            timer = self.timer(definition, node_id)
            return None if timer is None else EventTrigger(kind, timer=timer)
        return EventTrigger(kind)

    def message_trigger(self, element: ET.Element, node_id: str) -> EventTrigger | None:
        """A receive task's message (its own messageRef)."""
        return self._message_trigger(element, node_id)

    def _message_trigger(self, definition: ET.Element, node_id: str) -> EventTrigger | None:
        message = self.messages.get(definition.get("messageRef") or "")
        if message is None:
            self.problems.add(node_id, "Must reference a message (messageRef)")
            return None
        name_text = (message.get("name") or "").strip()
        if not name_text:
            self.problems.add(node_id, f"The message '{message.get('id')}' must have a name")
            return None
        name = self.value(name_text, node_id, "message name")
        correlation_key: Value | None = None
        for extension in zeebe_extensions(message):
            if split(extension.tag)[1] == "subscription":
                text = extension.get("correlationKey") or ""
                correlation_key = self.value(text, node_id, "correlation key") if text else None
        if name is None:
            return None
        return EventTrigger(TriggerKind.MESSAGE, message_name=name, correlation_key=correlation_key)

    def _error_trigger(  # noqa: PLR0911 - one return per outcome
        self, definition: ET.Element, node_id: str, *, catching: bool
    ) -> EventTrigger | None:
        error_id = definition.get("errorRef")
        if error_id is None:
            if catching:
                return EventTrigger(TriggerKind.ERROR)
            self.problems.add(node_id, "Must reference an error (errorRef)")
            return None
        if error_id not in self.errors:
            self.problems.add(node_id, f"The referenced error '{error_id}' does not exist")
            return None
        code = self.errors[error_id]
        if code is None or not code.strip():
            if catching:
                return EventTrigger(TriggerKind.ERROR)
            self.problems.add(node_id, f"The error '{error_id}' must have an errorCode")
            return None
        if is_expression(code):
            self.problems.add(
                node_id, "Error codes given as expressions are not supported by the dev engine"
            )
            return None
        return EventTrigger(TriggerKind.ERROR, error_code=code)

    def timer(self, definition: ET.Element, node_id: str) -> Timer | None:
        kinds = {split(child.tag)[1]: child for child in definition if split(child.tag)[0] == BPMN}
        known = [kind for kind in TimerKind if kind.value in kinds]
        if len(known) != 1:
            self.problems.add(
                node_id, "A timer needs exactly one of timeDuration, timeDate or timeCycle"
            )
            return None
        kind = known[0]
        text = (kinds[kind.value].text or "").strip()
        if is_expression(text):
            value = self.value(text, node_id, f"timer {kind.value}")
            return None if value is None else Timer(kind, value)
        try:
            check_timer_text(kind, text)
        except InvalidArgumentError as exc:
            self.problems.add(node_id, f"Invalid timer {kind.value}: {exc}")
            return None
        return Timer(kind, Value(static=text))


def check_timer_text(kind: TimerKind, text: str) -> None:
    """Raise InvalidArgumentError when `text` is not a valid value of this kind of timer."""
    if kind is TimerKind.DURATION:
        parse_duration_ms(text)
    elif kind is TimerKind.DATE:
        parse_date_ms(text)
    else:
        parse_cycle(text)
