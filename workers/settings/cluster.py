"""Where a Camunda cluster is: SaaS cluster ids, tenants and a private CA, for gRPC and REST."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from workers.errors import ConfigError
from workers.settings.read import first

DEFAULT_SAAS_REGION = "bru-2"
# Camunda's tenant ids: letters, digits, '_', '.', '-', at most 31 characters, or <default>.
_TENANT_ID = re.compile(r"^(?:<default>|[\w.-]{1,31})$")


def check_tenant_id(value: str, *, name: str) -> str:
    if not _TENANT_ID.match(value):
        msg = f"{name}={value!r} is not a tenant id (letters, digits, '_', '.', '-'; 31 at most)"
        raise ConfigError(msg)
    return value


def read_ca_certificate_path(environ: Mapping[str, str]) -> str | None:
    return first(environ, "CAMUNDA_CUSTOM_ROOT_CERT_PATH", "ZEEBE_CA_CERTIFICATE_PATH")


@dataclass(frozen=True, slots=True)
class SaasCluster:
    """A Camunda SaaS cluster, as Console's credentials file names it."""

    cluster_id: str
    region: str = DEFAULT_SAAS_REGION

    @property
    def grpc_address(self) -> str:
        return f"{self.cluster_id}.{self.region}.zeebe.camunda.io:443"

    @property
    def rest_address(self) -> str:
        return f"https://{self.region}.zeebe.camunda.io/{self.cluster_id}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "SaasCluster | None":
        cluster_id = first(environ, "CAMUNDA_CLUSTER_ID")
        if cluster_id is None:
            return None
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", cluster_id):
            msg = f"CAMUNDA_CLUSTER_ID={cluster_id!r} is not a cluster id"
            raise ConfigError(msg)
        region = first(environ, "CAMUNDA_CLUSTER_REGION") or DEFAULT_SAAS_REGION
        if not re.fullmatch(r"[a-z0-9-]{1,32}", region):
            msg = f"CAMUNDA_CLUSTER_REGION={region!r} is not a region (e.g. bru-2)"
            raise ConfigError(msg)
        return cls(cluster_id=cluster_id, region=region)
