"""Camunda forms (``.form`` resources): deployed beside the processes that link them.

A form is a JSON object whose ``id`` is what a user task's ``zeebe:formDefinition formId``
names. The engine keeps each form's versions (a redeployment with unchanged content keeps the
existing version, as for processes) so a deployment of a model with its form is accepted and
answered with the form's metadata, as Zeebe does. Forms are not rendered or validated further:
that is Tasklist's part.
"""

import hashlib
import json
from dataclasses import dataclass

from zeebe_devengine.bpmn.xml import deploy_error
from zeebe_devengine.core.keys import KeyGenerator

FORM_SUFFIX = ".form"
DEFAULT_TENANT = "<default>"


def is_form(resource_name: str) -> bool:
    return resource_name.lower().endswith(FORM_SUFFIX)


@dataclass(frozen=True, slots=True)
class DeployedForm:
    key: int
    form_id: str
    version: int
    resource_name: str
    deployment_key: int
    checksum: bytes
    tenant_id: str = DEFAULT_TENANT


class FormBook:
    def __init__(self, keys: KeyGenerator) -> None:
        self._keys = keys
        #: form id -> its versions, oldest first.
        self.versions: dict[str, list[DeployedForm]] = {}

    @staticmethod
    def parse(resources: list[tuple[str, bytes]]) -> list[tuple[str, bytes, str]]:
        """(name, content, form id) of each form; a deploy error when one is not a form."""
        parsed = []
        owners: dict[str, str] = {}
        for name, content in resources:
            try:
                document = json.loads(content)
            except (ValueError, RecursionError):
                raise deploy_error(f"'{name}': the form is not valid JSON") from None
            form_id = document.get("id") if isinstance(document, dict) else None
            if not isinstance(form_id, str) or not form_id.strip():
                raise deploy_error(f"'{name}': Expected the form to have an id, but it has none")
            if form_id in owners:
                raise deploy_error(
                    f"Duplicated form id in resources '{owners[form_id]}' and '{name}'"
                )
            owners[form_id] = name
            parsed.append((name, content, form_id))
        return parsed

    def store(self, name: str, content: bytes, form_id: str, deployment_key: int) -> DeployedForm:
        versions = self.versions.setdefault(form_id, [])
        checksum = hashlib.sha256(content).digest()
        if versions and versions[-1].checksum == checksum:
            return versions[-1]  # unchanged: Zeebe keeps the existing version
        form = DeployedForm(
            key=self._keys.next(),
            form_id=form_id,
            version=len(versions) + 1,
            resource_name=name,
            deployment_key=deployment_key,
            checksum=checksum,
        )
        versions.append(form)
        return form

    def latest(self, form_id: str) -> DeployedForm | None:
        versions = self.versions.get(form_id)
        return versions[-1] if versions else None
