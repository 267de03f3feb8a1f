"""What the engine remembers about finished instances, and Operate-style element statistics.

Finished instances are kept in full (searchable, with their variables and incidents) up to a
cap; older ones are pruned, like Camunda's history retention, so memory stays bounded however
long the engine runs. A pruned instance leaves its counts behind: per process definition and
end state, how many instances completed or terminated each element, and the same split by the
value of each root variable with few short values (``useVersion`` = 2, ...; not
``applicantId``). Element statistics therefore stay exact after pruning for unfiltered
queries and for queries filtered by state and one such variable; filters on anything else
count the retained instances only.

Statistics count like Operate: per element, the number of process instances in which the
element has an instance that is active (without incident), active with an incident,
completed, or terminated ("canceled").
"""

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from zeebe_devengine.core.hosts import Retained
from zeebe_devengine.core.state import (
    ArchivedCounts,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
)
from zeebe_devengine.core.variables import to_json_text

#: A root variable is kept as a statistics dimension while its values are this short...
MAX_ARCHIVED_VALUE_CHARS = 64
#: ...and this few (``useVersion`` qualifies, ``applicantId`` does not)...
MAX_VALUES_PER_VARIABLE = 32
#: ...for at most this many variable names per definition.
MAX_ARCHIVED_VARIABLES = 64


@dataclass(slots=True)
class ElementCounts:
    element_id: str
    active: int = 0
    canceled: int = 0
    incidents: int = 0
    completed: int = 0


class History:
    def __init__(self, host: Retained, retained_finished: int) -> None:
        self._host = host
        self._retained = retained_finished
        self._finished: deque[ProcessInstance] = deque()
        #: Finished instances pruned so far.
        self.pruned = 0

    def instance_finished(self, instance: ProcessInstance) -> None:
        definition = instance.definition
        instance.completed_ids = _intern(definition, instance.completed_ids)
        instance.terminated_ids = _intern(definition, instance.terminated_ids)
        instance.active.clear()
        instance.join_tokens.clear()
        for incident in instance.incidents:
            incident.retry = None
        self._finished.append(instance)
        while len(self._finished) > self._retained:
            self._prune(self._finished.popleft())

    def _prune(self, instance: ProcessInstance) -> None:
        definition = instance.definition
        self._host.instances.pop(instance.key, None)
        definition.instances.pop(instance.key, None)
        for incident in instance.incidents:
            self._host.incidents.pop(incident.key, None)
        self._host.forget_instance(instance.key)
        _add(definition.archived.setdefault(instance.state, ArchivedCounts()), instance)
        for name, value in instance.root.variables.items():
            buckets = _dimension(definition, name, to_json_text(value))
            if buckets is not None:
                _add(buckets.setdefault(instance.state, ArchivedCounts()), instance)
        self.pruned += 1


def _dimension(
    definition: ProcessDefinition, name: str, text: str
) -> dict[InstanceState, ArchivedCounts] | None:
    """The counters for `name` = `text`, or None once the variable is not worth tracking."""
    if name in definition.untracked_variables:
        return None
    values = definition.archived_by_variable.get(name)
    if values is None:
        if len(definition.archived_by_variable) >= MAX_ARCHIVED_VARIABLES:
            definition.untracked_variables.add(name)
            return None
        values = definition.archived_by_variable[name] = {}
    buckets = values.get(text)
    if buckets is None:
        if len(text) > MAX_ARCHIVED_VALUE_CHARS or len(values) >= MAX_VALUES_PER_VARIABLE:
            # Counts for some values but not others would be silently wrong: drop them all.
            del definition.archived_by_variable[name]
            definition.untracked_variables.add(name)
            return None
        buckets = values[text] = {}
    return buckets


def _intern(definition: ProcessDefinition, ids: Iterable[str]) -> frozenset[str]:
    frozen = frozenset(ids)
    return definition.interned.setdefault(frozen, frozen)


def _add(counts: ArchivedCounts, instance: ProcessInstance) -> None:
    counts.instances += 1
    counts.completed.update(instance.completed_ids)
    counts.canceled.update(instance.terminated_ids)


def element_statistics(
    definition: ProcessDefinition,
    *,
    matches: Callable[[ProcessInstance], bool],
    archived: Iterable[ArchivedCounts] = (),
) -> list[ElementCounts]:
    """Per-element counts over the retained instances `matches` accepts, plus `archived`."""
    counts: dict[str, ElementCounts] = {}

    def entry(element_id: str) -> ElementCounts:
        found = counts.get(element_id)
        if found is None:
            found = counts[element_id] = ElementCounts(element_id)
        return found

    for instance in definition.instances.values():
        if matches(instance):
            _count_instance(instance, entry)
    for bucket in archived:
        for element_id, number in bucket.completed.items():
            entry(element_id).completed += number
        for element_id, number in bucket.canceled.items():
            entry(element_id).canceled += number
    return [counts[element_id] for element_id in sorted(counts)]


def _count_instance(instance: ProcessInstance, entry: Callable[[str], ElementCounts]) -> None:
    """Add one instance: each element counts at most once per state, as in Operate."""
    active: set[str] = set()
    incidents: set[str] = set()
    for element in instance.active.values():
        (incidents if element.incident is not None else active).add(element.node.id)
    for element_id in active:
        entry(element_id).active += 1
    for element_id in incidents:
        entry(element_id).incidents += 1
    for element_id in instance.completed_ids:
        entry(element_id).completed += 1
    for element_id in instance.terminated_ids:
        entry(element_id).canceled += 1


def archived_buckets(
    definition: ProcessDefinition,
    *,
    states: Iterable[InstanceState],
    variable: tuple[str, str] | None,
) -> list[ArchivedCounts]:
    """The pruned-instance counters for the given end states (and one variable value)."""
    if variable is None:
        source = definition.archived
    else:
        name, text = variable
        source = definition.archived_by_variable.get(name, {}).get(text, {})
    return [source[state] for state in states if state in source]
