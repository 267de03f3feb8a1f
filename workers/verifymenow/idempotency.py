"""The Idempotency-Key sent with every verification request.

Derived from the process instance key and the element instance key: a job that Zeebe hands
out again (after a timeout, or a retry after a failure) belongs to the same element instance,
so it sends the same key and the provider answers from its record instead of verifying twice.
A new visit of the task (a loop in the model, a new process instance) gets a new key.
"""

from pyzeebe import Job

HEADER = "Idempotency-Key"


def idempotency_key(job: Job) -> str:
    return f"camunda-{job.process_instance_key}-{job.element_instance_key}"
