"""Per-job logging context: every line a job produces names the job."""

import contextlib
from collections.abc import Iterator

import structlog
from pyzeebe import Job


def job_fields(job: Job) -> dict[str, object]:
    """The identifiers every log line of a job carries, for a single line.

    Zeebe keys are 64-bit: as JSON numbers they lose digits in JavaScript tools and `jq`, so
    they are logged as strings (as `status --json` and Camunda's REST API write them).
    """
    return {
        "process_instance_key": str(job.process_instance_key),
        "job_key": str(job.key),
        "element_id": job.element_id,
        "task_type": job.type,
    }


@contextlib.contextmanager
def job_log_context(job: Job, **extra: object) -> Iterator[None]:
    """Bind the job's identifiers to structlog's contextvars for the duration of the block."""
    with structlog.contextvars.bound_contextvars(
        process_instance_key=str(job.process_instance_key),
        job_key=str(job.key),
        element_id=job.element_id,
        task_type=job.type,
        **extra,
    ):
        yield
