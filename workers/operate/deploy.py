"""Deploying the BPMN models to a Zeebe cluster (or the dev engine)."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

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


class GatewayError(CanaryError):
    """The Zeebe gateway could not be reached or refused the request."""


@dataclass(frozen=True, slots=True)
class DeployedProcess:
    bpmn_process_id: str
    version: int
    process_definition_key: int
    resource_name: str


#: Models in bpmn/ left out of the default deployment until `canary worker` serves their jobs
#: (the guarded rollout's, issue 12: its tasks exist, the worker wiring does not yet).
NOT_YET_SERVED = frozenset({"guarded-rollout.bpmn"})


def default_files() -> list[Path]:
    files = sorted(p for p in BPMN_DIR.glob("*.bpmn") if p.name not in NOT_YET_SERVED)
    if not files:
        raise InputError(f"no .bpmn files in {BPMN_DIR.name}/ to deploy")
    return files


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
    return paths


def _gateway_detail(exc: BaseException) -> str:
    """The gateway's own words: pyzeebe keeps the gRPC error as an attribute or a cause."""
    cause = getattr(exc, "grpc_error", None) or exc.__cause__ or exc.__context__
    if isinstance(cause, grpc.aio.AioRpcError):
        details = (cause.details() or "").strip()
        return details.splitlines()[0] if details else cause.code().name
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


async def deploy(
    client: ZeebeClient, paths: list[Path], *, address: str, tenant_id: str | None = None
) -> list[DeployedProcess]:
    """Deploy `paths` atomically; one readable error if the gateway refuses or is away."""
    try:
        response: DeployResourceResponse = await asyncio.wait_for(
            client.deploy_resource(*paths, tenant_id=tenant_id), timeout=DEPLOY_TIMEOUT
        )
    except ProcessInvalidError as exc:
        names = ", ".join(p.name for p in paths)
        raise InputError(f"the cluster refused {names}: {_gateway_detail(exc)}") from None
    except TimeoutError:
        raise GatewayError(f"the Zeebe gateway at {address} did not answer within 60 s") from None
    except PyZeebeError as exc:
        raise GatewayError(
            f"cannot reach the Zeebe gateway at {address}: {_gateway_detail(exc)}"
        ) from None
    return [
        DeployedProcess(
            bpmn_process_id=d.bpmn_process_id,
            version=d.version,
            process_definition_key=d.process_definition_key,
            resource_name=d.resource_name,
        )
        for d in response.deployments
        if isinstance(d, DeployResourceResponse.ProcessMetadata)
    ]
