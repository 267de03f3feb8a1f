"""Deploying the BPMN models to a Zeebe cluster (or the dev engine)."""

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import grpc
from pyzeebe import ZeebeClient
from pyzeebe.errors import ProcessInvalidError, PyZeebeError
from pyzeebe.grpc_internals.types import DeployResourceResponse

from workers.errors import CanaryError, InputError
from workers.resources import shipped_folder

#: pyzeebe's clients close the channel after this many failed calls unless told -1 (never).
NEVER_GIVE_UP = -1

#: The models shipped with the project; `canary deploy` with no files deploys these.
#: The wheel's package data, or the checkout's top-level bpmn/ (see workers.resources).
BPMN_DIR = shipped_folder("bpmn")
DEPLOYABLE_SUFFIXES = (".bpmn", ".dmn", ".form")
#: A gateway that accepts the connection but never answers must not hang the command.
DEPLOY_TIMEOUT = 60.0
#: Zeebe's gateway takes gRPC messages up to 4 MB (zeebe.gateway.network.maxMessageSize);
#: a larger deployment fails on the wire with a status that says nothing about the file.
MAX_DEPLOYMENT_BYTES = 4 * 1024 * 1024


class GatewayError(CanaryError):
    """The Zeebe gateway could not be reached or refused the request."""


@dataclass(frozen=True, slots=True)
class DeployedResource:
    """One resource of a deployment, as the gateway answered for it."""

    #: process, decision, decision requirements or form.
    kind: str
    #: The id it is called by: BPMN process id, decision id, DRG id, form id.
    resource_id: str
    version: int
    key: int
    resource_name: str


def default_files() -> list[Path]:
    """Every model in bpmn/ and the forms its user tasks link (deployed together: a user
    task's form is found by id in the same or an earlier deployment)."""
    models = sorted(BPMN_DIR.glob("*.bpmn"))
    if not models:
        raise InputError(f"no .bpmn files in {BPMN_DIR.name}/ to deploy")
    return models + sorted(BPMN_DIR.glob("*.form"))


def check_files(paths: list[Path]) -> list[Path]:
    """Refuse missing, unreadable or non-model files before talking to the cluster."""
    for path in paths:
        if path.suffix not in DEPLOYABLE_SUFFIXES:
            raise InputError(f"{path} is not a .bpmn, .dmn or .form file")
        if not path.is_file():
            raise InputError(f"{path} does not exist")
        try:
            path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path} cannot be read: {exc.strerror}") from None
    total = sum(path.stat().st_size for path in paths)
    if total > MAX_DEPLOYMENT_BYTES:
        largest = max(paths, key=lambda p: p.stat().st_size)
        raise InputError(
            f"{largest} is {largest.stat().st_size / 1_048_576:.1f} MB: the Zeebe gateway takes at"
            f" most 4 MB per deployment (its gRPC message size limit)"
        )
    return paths


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def gateway_detail(exc: BaseException) -> str:
    """The gateway's whole reason on one line (Zeebe puts the element and the problem on the
    lines after the first): pyzeebe keeps the gRPC error as an attribute or a cause."""
    cause = getattr(exc, "grpc_error", None) or exc.__cause__ or exc.__context__
    if isinstance(cause, grpc.aio.AioRpcError):
        details = _one_line(cause.details() or "")
        return details or cause.code().name
    return _one_line(str(exc)) or type(exc).__name__


def _too_large(exc: BaseException) -> bool:
    cause = getattr(exc, "grpc_error", None) or exc.__cause__ or exc.__context__
    return (
        isinstance(cause, grpc.aio.AioRpcError)
        and cause.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        and "larger than max" in (cause.details() or "")
    )


async def deploy(
    client: ZeebeClient, paths: list[Path], *, address: str, tenant_id: str | None = None
) -> list[DeployedResource]:
    """Deploy `paths` atomically; what was deployed (processes, decisions, forms), or one
    readable error if the gateway refuses or is away."""
    try:
        response: DeployResourceResponse = await asyncio.wait_for(
            client.deploy_resource(*paths, tenant_id=tenant_id), timeout=DEPLOY_TIMEOUT
        )
    except ProcessInvalidError as exc:
        names = ", ".join(p.name for p in paths)
        raise InputError(f"the cluster refused {names}: {gateway_detail(exc)}") from None
    except TimeoutError:
        raise GatewayError(f"the Zeebe gateway at {address} did not answer within 60 s") from None
    except PyZeebeError as exc:
        if _too_large(exc):
            names = ", ".join(p.name for p in paths)
            raise InputError(
                f"the Zeebe gateway refused {names} as too large: {gateway_detail(exc)}"
            ) from None
        raise GatewayError(
            f"cannot reach the Zeebe gateway at {address}: {gateway_detail(exc)}"
        ) from None
    return [_resource(d) for d in response.deployments]


#: Each kind of resource the gateway reports: its metadata type and the names of its id and
#: key there (a decision's metadata names no file; its graph, listed too, does).
_KINDS: Final = (
    (
        DeployResourceResponse.ProcessMetadata,
        "process",
        "bpmn_process_id",
        "process_definition_key",
    ),
    (DeployResourceResponse.DecisionMetadata, "decision", "dmn_decision_id", "decision_key"),
    (
        DeployResourceResponse.DecisionRequirementsMetadata,
        "decision requirements",
        "dmn_decision_requirements_id",
        "decision_requirements_key",
    ),
    (DeployResourceResponse.FormMetadata, "form", "form_id", "form_key"),
)


def _resource(metadata: object) -> DeployedResource:
    """The gateway's metadata of one deployed resource, whatever its kind."""
    for metadata_type, kind, id_name, key_name in _KINDS:
        if isinstance(metadata, metadata_type):
            return DeployedResource(
                kind,
                getattr(metadata, id_name),
                metadata.version,
                getattr(metadata, key_name),
                getattr(metadata, "resource_name", ""),
            )
    raise TypeError(f"unknown deployment metadata {type(metadata).__name__}")  # pragma: no cover
