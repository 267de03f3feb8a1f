"""Filters of the REST v2 searches: which fields each resource can be filtered and sorted by.

Process-instance filters (searches and element statistics) also take ``variables`` (a list of
``{name, value}`` matched against each variable's JSON text) and ``$or`` (alternatives).
Fields outside these lists are refused with 400, never silently ignored. `InstanceFilter`
also says which counters of pruned instances a statistics filter selects exactly.
"""

from collections.abc import Callable
from typing import Any

from zeebe_devengine.core.history import archived_buckets
from zeebe_devengine.core.state import (
    DEFAULT_TENANT,
    ArchivedCounts,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
)
from zeebe_devengine.core.variables import to_json_text
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest.query import Kind, matches

FieldSpec = tuple[Kind, Callable[[Any], Any]]

# -- fields --------------------------------------------------------------------------

DEFINITION_FIELDS: dict[str, FieldSpec] = {
    "processDefinitionKey": ("key", lambda d: d.key),
    "processDefinitionId": ("string", lambda d: d.bpmn_process_id),
    "name": ("string", lambda d: d.name),
    "resourceName": ("string", lambda d: d.resource_name),
    "version": ("int", lambda d: d.version),
    "versionTag": ("string", lambda d: d.version_tag),
    "tenantId": ("string", lambda d: d.tenant_id),
    "hasStartForm": ("bool", lambda _: False),
}
BASE_INSTANCE_FIELDS: dict[str, FieldSpec] = {
    "processInstanceKey": ("key", lambda i: i.key),
    "parentProcessInstanceKey": (
        "key",
        lambda i: i.parent_element.instance.key if i.parent_element is not None else None,
    ),
    "parentElementInstanceKey": (
        "key",
        lambda i: i.parent_element.key if i.parent_element is not None else None,
    ),
    "startDate": ("date", lambda i: i.start_ms),
    "endDate": ("date", lambda i: i.end_ms),
    "state": ("string", lambda i: i.state.value),
    "hasIncident": ("bool", lambda i: i.active_incidents > 0),
    "tenantId": ("string", lambda i: i.definition.tenant_id),
}
INSTANCE_FIELDS: dict[str, FieldSpec] = {
    **BASE_INSTANCE_FIELDS,
    "processDefinitionId": ("string", lambda i: i.definition.bpmn_process_id),
    "processDefinitionName": ("string", lambda i: i.definition.name),
    "processDefinitionVersion": ("int", lambda i: i.definition.version),
    "processDefinitionVersionTag": ("string", lambda i: i.definition.version_tag),
    "processDefinitionKey": ("key", lambda i: i.definition.key),
}
INCIDENT_FIELDS: dict[str, FieldSpec] = {
    "incidentKey": ("key", lambda n: n.key),
    "processDefinitionKey": ("key", lambda n: n.element.instance.definition.key),
    "processDefinitionId": ("string", lambda n: n.element.instance.definition.bpmn_process_id),
    "processInstanceKey": ("key", lambda n: n.element.instance.key),
    "elementInstanceKey": ("key", lambda n: n.element.key),
    "elementId": ("string", lambda n: n.element.node.id),
    "errorType": ("string", lambda n: n.error_type.value),
    "errorMessage": ("string", lambda n: n.message),
    "creationTime": ("date", lambda n: n.created_ms),
    "state": ("string", lambda n: n.state.value),
    "jobKey": ("key", lambda n: n.job.key if n.job is not None else None),
    "tenantId": ("string", lambda n: n.element.instance.definition.tenant_id),
}


def sort_fields(fields: dict[str, FieldSpec]) -> dict[str, Callable[[Any], Any]]:
    """Sort by the raw values: keys and dates are numbers, so they order correctly."""
    return {name: get for name, (_, get) in fields.items()}


def _instance_variables(instance: ProcessInstance) -> list[tuple[str, str]]:
    pairs = [(name, to_json_text(value)) for name, value in instance.root.variables.items()]
    for element in instance.active.values():
        if element.scope is not None:
            pairs.extend(
                (name, to_json_text(value)) for name, value in element.scope.variables.items()
            )
    return pairs


def _variable_conditions(value: Any) -> list[tuple[str, Any]]:
    if not isinstance(value, list):
        msg = "The filter 'variables' expects a list of {name, value}"
        raise InvalidArgumentError(msg)
    conditions = []
    for entry in value:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or "value" not in entry
        ):
            msg = "Each entry of the filter 'variables' needs a 'name' and a 'value'"
            raise InvalidArgumentError(msg)
        conditions.append((entry["name"], entry["value"]))
    return conditions


def _variable_matches(instance: ProcessInstance, name: str, condition: Any) -> bool:
    return any(
        var_name == name and matches("string", text, condition, field="variables.value")
        for var_name, text in _instance_variables(instance)
    )


class InstanceFilter:
    """A process-instance filter (search or statistics), validated up front."""

    def __init__(
        self,
        spec: Any,
        fields: dict[str, FieldSpec],
        *,
        any_variable: bool,
        extras: frozenset[str] = frozenset(),
    ) -> None:
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            msg = "'filter' must be an object"
            raise InvalidArgumentError(msg)
        self._fields = fields
        self._any_variable = any_variable
        self.spec = spec
        self._or = [
            InstanceFilter(sub, fields, any_variable=any_variable, extras=extras)
            for sub in self._alternatives(spec)
        ]
        allowed = set(fields) | {"variables", "$or"} | extras
        unknown = set(spec) - allowed
        if unknown:
            fields_text = ", ".join(sorted(unknown))
            msg = f"The filter field(s) {fields_text} are not supported by the dev engine"
            raise InvalidArgumentError(msg)
        self._variables = _variable_conditions(spec["variables"]) if "variables" in spec else []

    @staticmethod
    def _alternatives(spec: dict[str, Any]) -> list[Any]:
        alternatives = spec.get("$or", [])
        if not isinstance(alternatives, list):
            msg = "'$or' must be a list of filters"
            raise InvalidArgumentError(msg)
        for alternative in alternatives:
            if isinstance(alternative, dict) and "$or" in alternative:
                msg = "'$or' cannot be nested"
                raise InvalidArgumentError(msg)
        return alternatives

    def __call__(self, instance: ProcessInstance) -> bool:
        for name, condition in self.spec.items():
            if name in self._fields:
                kind, get = self._fields[name]
                if not matches(kind, get(instance), condition, field=name):
                    return False
            elif name == "elementId":
                ids = (
                    instance.completed_ids
                    | instance.terminated_ids
                    | {element.node.id for element in instance.active.values()}
                )
                if not any(
                    matches("string", element_id, condition, field=name) for element_id in ids
                ):
                    return False
            elif name == "errorMessage" and not any(
                matches("string", incident.message, condition, field=name)
                for incident in instance.incidents
            ):
                return False
        if self._variables:
            found = [_variable_matches(instance, n, c) for n, c in self._variables]
            if not (any(found) if self._any_variable else all(found)):
                return False
        return not self._or or any(alternative(instance) for alternative in self._or)

    def archived(self, definition: ProcessDefinition) -> list[ArchivedCounts]:
        """Counters of pruned instances this filter selects exactly (else none).

        Pruned instances are finished, without incidents, of the default tenant; they can be
        selected by state and by at most one variable compared for equality.
        """
        spec = self.spec
        selectable = not set(spec) - {"state", "hasIncident", "tenantId", "variables"}
        if not selectable or spec.get("hasIncident") is True or len(self._variables) > 1:
            return []
        if "tenantId" in spec and not matches(
            "string", DEFAULT_TENANT, spec["tenantId"], field="tenantId"
        ):
            return []
        states = [
            state
            for state in (InstanceState.COMPLETED, InstanceState.TERMINATED)
            if "state" not in spec or matches("string", state.value, spec["state"], field="state")
        ]
        variable = None
        if self._variables:
            name, condition = self._variables[0]
            if isinstance(condition, dict) and set(condition) == {"$eq"}:
                condition = condition["$eq"]
            if not isinstance(condition, str):
                return []
            variable = (name, condition)
        return archived_buckets(definition, states=states, variable=variable)


def field_filter(
    item: Any,
    spec: dict[str, Any],
    fields: dict[str, FieldSpec],
    extra: frozenset[str] = frozenset(),
) -> bool:
    for name, condition in spec.items():
        if name in extra:
            continue
        kind, get = fields[name]
        if not matches(kind, get(item), condition, field=name):
            return False
    return True


def check_fields(spec: Any, allowed: set[str]) -> dict[str, Any]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        msg = "'filter' must be an object"
        raise InvalidArgumentError(msg)
    unknown = set(spec) - allowed
    if unknown:
        msg = (
            f"The filter field(s) {', '.join(sorted(unknown))} are not supported by the dev engine"
        )
        raise InvalidArgumentError(msg)
    return spec
