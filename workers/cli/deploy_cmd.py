"""`canary deploy [FILES...]`: deploy the BPMN models (and their forms) to the cluster, and
list every resource deployed: processes, decisions and forms."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workers.cli.common import add_json_option, print_json, print_table

if TYPE_CHECKING:
    import argparse

    from workers.operate.deploy import DeployedResource


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "deploy",
        help="deploy the BPMN models (default: every file in bpmn/) to the cluster",
        description=(
            "Deploy BPMN models to Camunda 8: ZEEBE_ADDRESS for self-managed (plaintext or"
            " https:// for TLS), or Camunda SaaS with ZEEBE_CLIENT_ID, ZEEBE_CLIENT_SECRET and"
            " CAMUNDA_CLUSTER_ID. The deployment is atomic: all files or none."
        ),
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="models to deploy")
    parser.add_argument(
        "--address", help="gateway host:port (default: $ZEEBE_ADDRESS, else localhost:26500)"
    )
    add_json_option(parser)
    parser.set_defaults(handler=run, arguments=DeployArgs)


@dataclass(frozen=True, slots=True)
class DeployArgs:
    """`canary deploy`, as parsed."""

    files: list[str]
    address: str | None
    json: bool


async def run(args: DeployArgs, environ: Mapping[str, str]) -> int:
    from pyzeebe import ZeebeClient  # noqa: PLC0415

    from workers.operate.deploy import check_files, default_files, deploy  # noqa: PLC0415
    from workers.runtime.zeebe_connection import create_channel  # noqa: PLC0415
    from workers.settings import ZeebeSettings  # noqa: PLC0415

    paths = check_files([Path(f) for f in args.files] if args.files else default_files())
    settings = ZeebeSettings.from_env(environ, address=args.address or None)
    channel = create_channel(settings)
    try:
        deployed = await deploy(
            ZeebeClient(channel), paths, address=settings.address, tenant_id=settings.tenant_id
        )
    finally:
        await channel.close()
    if args.json:
        print_json([_as_json(d) for d in deployed])
        return 0
    print_table(
        f"deployed to {settings.address}",
        ["kind", "id", "version", "key", "file"],
        [[d.kind, d.resource_id, d.version, d.key, d.resource_name] for d in deployed],
    )
    return 0


#: JSON field names of a resource's id and key, by kind (the gateway's own names).
_JSON_NAMES = {
    "process": ("bpmnProcessId", "processDefinitionKey"),
    "decision": ("decisionId", "decisionKey"),
    "decision requirements": ("decisionRequirementsId", "decisionRequirementsKey"),
    "form": ("formId", "formKey"),
}


def _as_json(resource: "DeployedResource") -> dict[str, Any]:
    id_name, key_name = _JSON_NAMES[resource.kind]
    return {
        "kind": resource.kind,
        id_name: resource.resource_id,
        "version": resource.version,
        key_name: str(resource.key),
        "resourceName": resource.resource_name,
    }
