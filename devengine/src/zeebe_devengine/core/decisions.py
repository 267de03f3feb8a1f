"""Deployed decisions: versions per DRG id and per decision id, and their evaluation.

A DMN resource holds one decision requirements graph (DRG). Deploying it again unchanged
keeps the existing versions (as Zeebe does); a changed one becomes a new version of the DRG
and of every decision in it. `evaluate_by_id` uses the latest version, `evaluate_by_key`
exactly the one asked for. Business-rule tasks and the EvaluateDecision RPC both come here.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zeebe_devengine.core.keys import KeyGenerator
from zeebe_devengine.dmn.evaluate import EvaluatedDecision, Evaluation, evaluate_decision
from zeebe_devengine.dmn.model import DecisionGraph
from zeebe_devengine.dmn.parser import parse_dmn
from zeebe_devengine.errors import InvalidArgumentError, NotFoundError

DMN_SUFFIX = ".dmn"


@dataclass(frozen=True, slots=True)
class DeployedGraph:
    """Zeebe's DecisionRequirementsMetadata, with the parsed graph."""

    key: int
    id: str
    name: str
    version: int
    resource_name: str
    resource: bytes
    graph: DecisionGraph
    deployment_key: int
    tenant_id: str = "<default>"


@dataclass(frozen=True, slots=True)
class DeployedDecision:
    """Zeebe's DecisionMetadata."""

    key: int
    id: str
    name: str
    version: int
    requirements: DeployedGraph
    tenant_id: str = "<default>"


@dataclass(slots=True)
class DecisionResult:
    """An evaluation, with each evaluated decision tied to its deployed version."""

    decision: DeployedDecision
    instance_key: int
    evaluation: Evaluation
    deployed: dict[str, DeployedDecision] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.evaluation.failure)

    def deployed_for(self, evaluated: EvaluatedDecision) -> DeployedDecision:
        return self.deployed[evaluated.decision.id]


def is_dmn(resource_name: str) -> bool:
    return resource_name.lower().endswith(DMN_SUFFIX)


class DecisionBook:
    def __init__(self, keys: KeyGenerator, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._keys = keys
        self._clock = clock
        self.graphs: dict[str, list[DeployedGraph]] = {}
        self.versions: dict[str, list[DeployedDecision]] = {}
        self.by_key: dict[int, DeployedDecision] = {}
        #: The last version given per graph id and per decision id (never reused).
        self._last_version: dict[tuple[str, str], int] = {}

    def _next_version(self, kind: str, identifier: str) -> int:
        version = self._last_version.get((kind, identifier), 0) + 1
        self._last_version[kind, identifier] = version
        return version

    # -- deployment -------------------------------------------------------------------------

    def parse(
        self, resources: Sequence[tuple[str, bytes]]
    ) -> list[tuple[str, bytes, DecisionGraph]]:
        """Validate DMN resources of one deployment; changes nothing (InvalidArgumentError)."""
        parsed = []
        owners: dict[str, str] = {}
        graph_owners: dict[str, str] = {}
        for name, content in resources:
            graph = parse_dmn(name, content)
            if graph.id in graph_owners:
                msg = (
                    f"Expected the decision requirements ids to be unique within a deployment but "
                    f"found a duplicated id '{graph.id}' in the resources "
                    f"'{graph_owners[graph.id]}' and '{name}'."
                )
                raise InvalidArgumentError(msg)
            graph_owners[graph.id] = name
            for decision in graph.decisions:
                if decision.id in owners:
                    msg = (
                        f"Expected the decision ids to be unique within a deployment but found a "
                        f"duplicated id '{decision.id}' in the resources '{owners[decision.id]}' "
                        f"and '{name}'."
                    )
                    raise InvalidArgumentError(msg)
                owners[decision.id] = name
            parsed.append((name, content, graph))
        return parsed

    def store(
        self, name: str, content: bytes, graph: DecisionGraph, deployment_key: int
    ) -> tuple[DeployedGraph, list[DeployedDecision]]:
        """Record a validated graph: a new version, or the existing one if unchanged."""
        versions = self.graphs.setdefault(graph.id, [])
        latest = versions[-1] if versions else None
        if latest is not None and _digest(latest.resource) == _digest(content):
            decisions = [self.versions[d.id][-1] for d in latest.graph.decisions]
            return latest, decisions
        deployed_graph = DeployedGraph(
            key=self._keys.next(),
            id=graph.id,
            name=graph.name,
            version=self._next_version("graph", graph.id),
            resource_name=name,
            resource=content,
            graph=graph,
            deployment_key=deployment_key,
        )
        versions.append(deployed_graph)
        decisions = []
        for decision in graph.decisions:
            history = self.versions.setdefault(decision.id, [])
            deployed = DeployedDecision(
                key=self._keys.next(),
                id=decision.id,
                name=decision.name,
                version=self._next_version("decision", decision.id),
                requirements=deployed_graph,
            )
            history.append(deployed)
            self.by_key[deployed.key] = deployed
            decisions.append(deployed)
        return deployed_graph, decisions

    def delete_requirements(self, key: int) -> bool:
        """Delete the graph with this key and its decisions; False if there is none."""
        for versions in self.graphs.values():
            graph = next((g for g in versions if g.key == key), None)
            if graph is None:
                continue
            versions.remove(graph)
            for history in self.versions.values():
                for decision in [d for d in history if d.requirements is graph]:
                    history.remove(decision)
                    del self.by_key[decision.key]
            return True
        return False

    # -- lookup and evaluation --------------------------------------------------------------

    def latest(self, decision_id: str) -> DeployedDecision | None:
        history = self.versions.get(decision_id)
        return history[-1] if history else None

    def evaluate_by_id(self, decision_id: str, variables: Mapping[str, Any]) -> DecisionResult:
        decision = self.latest(decision_id)
        if decision is None:
            msg = (
                f"Expected to evaluate decision '{decision_id}', but no decision found for id "
                f"'{decision_id}'"
            )
            raise NotFoundError(msg)
        return self._evaluate(decision, variables)

    def evaluate_by_key(self, key: int, variables: Mapping[str, Any]) -> DecisionResult:
        decision = self.by_key.get(key)
        if decision is None:
            msg = (
                f"Expected to evaluate decision with key '{key}', but no decision found for key "
                f"'{key}'"
            )
            raise NotFoundError(msg)
        return self._evaluate(decision, variables)

    def _evaluate(self, decision: DeployedDecision, variables: Mapping[str, Any]) -> DecisionResult:
        graph = decision.requirements.graph
        evaluation = evaluate_decision(graph, decision.id, variables, self._clock)
        siblings = {
            other.id: self._version_in(other.id, decision.requirements) for other in graph.decisions
        }
        return DecisionResult(decision, self._keys.next(), evaluation, siblings)

    def _version_in(self, decision_id: str, requirements: DeployedGraph) -> DeployedDecision:
        """The version of `decision_id` deployed with `requirements` (the same DRG version)."""
        history = self.versions[decision_id]
        return next(d for d in reversed(history) if d.requirements is requirements)


def _digest(content: bytes) -> bytes:
    return hashlib.sha256(content).digest()
