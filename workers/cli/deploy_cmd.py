"""`canary deploy [FILES...]`: deploy the BPMN models to the cluster."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workers.cli.common import add_json_option, print_json, print_table

if TYPE_CHECKING:
    import argparse


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
    from workers.operate.deploy import check_files, default_files, deploy  # noqa: PLC0415
    from workers.settings import ZeebeSettings  # noqa: PLC0415

    paths = check_files([Path(f) for f in args.files] if args.files else default_files())
    settings = ZeebeSettings.from_env(environ, address=args.address or None)
    from pyzeebe import ZeebeClient  # noqa: PLC0415

    from workers.runtime.zeebe_connection import create_channel  # noqa: PLC0415

    channel = create_channel(settings)
    try:
        deployed = await deploy(
            ZeebeClient(channel), paths, address=settings.address, tenant_id=settings.tenant_id
        )
    finally:
        await channel.close()
    if args.json:
        print_json(
            [
                {
                    "bpmnProcessId": d.bpmn_process_id,
                    "version": d.version,
                    "processDefinitionKey": str(d.process_definition_key),
                    "resourceName": d.resource_name,
                }
                for d in deployed
            ]
        )
        return 0
    print_table(
        f"deployed to {settings.address}",
        ["process id", "version", "key", "file"],
        [
            [d.bpmn_process_id, d.version, d.process_definition_key, d.resource_name]
            for d in deployed
        ],
    )
    return 0
