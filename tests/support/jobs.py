"""The one job factory: a pyzeebe `Job` of the identity-verification model."""

from typing import Any

from pyzeebe import Job

from workers import process

PROCESS_INSTANCE_KEY = 2251799813685300
ELEMENT_INSTANCE_KEY = 2251799813685377
JOB_KEY = 2251799813685400


def make_job(
    task: str = process.verify_task(2),
    *,
    key: int = JOB_KEY,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    retries: int = 3,
    pik: int = PROCESS_INSTANCE_KEY,
    eik: int = ELEMENT_INSTANCE_KEY,
) -> Job:
    """A job of `task` (its job type and element id are the same word in our model)."""
    return Job(
        key=key,
        type=task,
        process_instance_key=pik,
        bpmn_process_id=process.PROCESS_ID,
        process_definition_version=1,
        process_definition_key=2251799813685249,
        element_id=task,
        element_instance_key=eik,
        custom_headers=headers or {},
        worker="test",
        retries=retries,
        deadline=0,
        variables=variables if variables is not None else {},
    )
