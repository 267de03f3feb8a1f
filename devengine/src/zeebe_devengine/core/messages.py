"""Published messages: message start events, and subscriptions of running instances.

A subscription is opened when an instance waits for a message (a catch event, a receive
task, a message boundary event, an event-based gateway, an event sub-process) with the name
and correlation key evaluated on entry, and closed when that element or its scope is left.
A published message is correlated to the open subscriptions with its name and key, at most
once per process (BPMN process id, across versions and instances), as Zeebe documents under
"message cardinality"; with a time to live it is buffered, and a subscription opened
later takes it from the buffer. A message no subscription takes and with TTL 0 is dropped.

A message starts an instance of the latest version of every process with a message start
event of that name. With a correlation key, only one instance per process and key runs at a
time: while one is active, the message waits in the buffer (for its time to live) and starts
the next instance when the active one ends, as Zeebe does. A message id may be used once
while the message is buffered; a second publish gets ALREADY_EXISTS.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zeebe_devengine.core.hosts import MessageHost
from zeebe_devengine.core.state import ProcessDefinition, ProcessInstance
from zeebe_devengine.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError


@dataclass(eq=False, slots=True)
class _Message:
    key: int
    name: str
    correlation_key: str
    message_id: str
    variables: dict[str, Any]
    expires_ms: int
    #: BPMN process ids it was correlated to, by a start event or a subscription: Zeebe
    #: correlates a message once per process (across its versions and instances).
    correlated: set[str] = field(default_factory=set)


class Subscription:
    """An open subscription; `cancel` closes it (its element or scope was left)."""

    __slots__ = (
        "book",
        "correlation_key",
        "instance_key",
        "name",
        "on_message",
        "process_id",
        "repeat",
    )

    def __init__(
        self,
        book: "MessageBook",
        process_id: str,
        name: str,
        correlation_key: str,
        on_message: Callable[[dict[str, Any]], None],
        *,
        repeat: bool,
        instance_key: int = 0,
    ) -> None:
        self.book = book
        #: The process instance waiting (what a REST message correlation answers with).
        self.instance_key = instance_key
        self.process_id = process_id
        self.name = name
        self.correlation_key = correlation_key
        self.on_message = on_message
        #: Stays open after a correlation (non-interrupting boundary and event sub-process).
        self.repeat = repeat

    def cancel(self) -> None:
        self.book.close(self)


class MessageBook:
    def __init__(self, host: MessageHost) -> None:
        self._host = host
        self._buffer: list[_Message] = []
        #: (bpmn process id, correlation key) -> the instance a message started and still runs.
        self._running: dict[tuple[str, str], int] = {}
        #: (name, correlation key) -> open subscriptions, oldest first.
        self._subscriptions: dict[tuple[str, str], list[Subscription]] = {}

    def subscribe(
        self,
        process_id: str,
        name: str,
        correlation_key: str,
        on_message: Callable[[dict[str, Any]], None],
        *,
        repeat: bool = False,
        instance_key: int = 0,
    ) -> Subscription:
        """Open a subscription; a buffered message that matches is correlated at once."""
        subscription = Subscription(
            self,
            process_id,
            name,
            correlation_key,
            on_message,
            repeat=repeat,
            instance_key=instance_key,
        )
        now = self._host.scheduler.now_ms()
        for message in self._buffer:
            if (
                message.expires_ms > now
                and message.name == name
                and message.correlation_key == correlation_key
                and process_id not in message.correlated
            ):
                message.correlated.add(process_id)
                variables = message.variables
                self._host.schedule(functools.partial(on_message, variables))
                if not repeat:
                    return subscription
        self._subscriptions.setdefault((name, correlation_key), []).append(subscription)
        return subscription

    def close(self, subscription: Subscription) -> None:
        key = (subscription.name, subscription.correlation_key)
        subscriptions = self._subscriptions.get(key)
        if subscriptions is None:
            return
        try:
            subscriptions.remove(subscription)
        except ValueError:
            return
        if not subscriptions:
            del self._subscriptions[key]

    def _correlate(self, message: "_Message") -> list[int]:
        """Hand the message to its open subscriptions; the instances it reached."""
        reached = []
        for subscription in list(
            self._subscriptions.get((message.name, message.correlation_key), [])
        ):
            if subscription.process_id in message.correlated:
                continue
            message.correlated.add(subscription.process_id)
            if not subscription.repeat:
                self.close(subscription)
            subscription.on_message(message.variables)
            reached.append(subscription.instance_key)
        return reached

    def correlate(
        self, name: str, *, correlation_key: str, variables: dict[str, Any]
    ) -> tuple[int, int]:
        """Correlate now or not at all (REST ``/v2/messages/correlation``): the message key
        and the first process instance it reached (a subscription's, else one it started);
        NotFoundError when nothing takes it. The message is never buffered."""
        if not name.strip():
            msg = "Expected to correlate a message with a name, but the name is empty"
            raise InvalidArgumentError(msg)
        message = _Message(
            key=self._host.keys.next(),
            name=name,
            correlation_key=correlation_key,
            message_id="",
            variables=variables,
            expires_ms=self._host.scheduler.now_ms(),
        )
        reached = self._correlate(message)
        for definition in self._definitions_starting_on(name):
            started = self._try_start(definition, message)
            if started is not None:
                reached.append(started)
        if not reached:
            msg = (
                f"Expected to find subscriptions for message with name '{name}' and "
                f"correlation key '{correlation_key}', but none was found"
            )
            raise NotFoundError(msg)
        return message.key, reached[0]

    def publish(
        self,
        name: str,
        *,
        correlation_key: str,
        time_to_live_ms: int,
        message_id: str,
        variables: dict[str, Any],
    ) -> int:
        if not name.strip():
            msg = "Expected to publish a message with a name, but the name is empty"
            raise InvalidArgumentError(msg)
        now = self._host.scheduler.now_ms()
        self._buffer = [message for message in self._buffer if message.expires_ms > now]
        if message_id and any(
            m.message_id == message_id and m.name == name and m.correlation_key == correlation_key
            for m in self._buffer
        ):
            msg = (
                f"Expected to publish a new message with id '{message_id}', "
                "but a message with that id was already published"
            )
            raise AlreadyExistsError(msg)
        message = _Message(
            key=self._host.keys.next(),
            name=name,
            correlation_key=correlation_key,
            message_id=message_id,
            variables=variables,
            expires_ms=now + max(time_to_live_ms, 0),
        )
        self._correlate(message)
        for definition in self._definitions_starting_on(name):
            self._try_start(definition, message)
        if time_to_live_ms > 0:
            self._buffer.append(message)
        return message.key

    def _definitions_starting_on(self, name: str) -> list[ProcessDefinition]:
        found = []
        for bpmn_process_id in self._host.versions:
            definition = self._host.latest(bpmn_process_id)
            if definition is not None and name in definition.process.message_starts:
                found.append(definition)
        return found

    def _try_start(self, definition: ProcessDefinition, message: _Message) -> int | None:
        """Start an instance on the message (its key), unless one for its key still runs."""
        process_id = definition.bpmn_process_id
        if process_id in message.correlated:
            return None
        running_key = (process_id, message.correlation_key)
        if message.correlation_key and running_key in self._running:
            return None  # waits in the buffer until the running instance ends
        message.correlated.add(process_id)
        start = definition.process.message_starts[message.name]
        instance = self._host.flow.start_instance(
            definition,
            message.variables,
            [start],
            start_message=(message.name, message.correlation_key)
            if message.correlation_key
            else None,
        )
        if message.correlation_key:
            self._running[running_key] = instance.key
        return instance.key

    def instance_finished(self, instance: ProcessInstance) -> None:
        if instance.start_message is None:
            return
        process_id = instance.definition.bpmn_process_id
        correlation_key = instance.start_message[1]
        if self._running.get((process_id, correlation_key)) != instance.key:
            return
        del self._running[(process_id, correlation_key)]
        definition = self._host.latest(process_id)
        if definition is None:  # pragma: no cover - definitions are never deleted
            return
        now = self._host.scheduler.now_ms()
        for message in self._buffer:
            if (
                message.expires_ms > now
                and message.correlation_key == correlation_key
                and message.name in definition.process.message_starts
                and process_id not in message.correlated
            ):
                self._try_start(definition, message)
                return
