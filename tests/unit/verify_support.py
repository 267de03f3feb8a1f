"""Helpers shared by the verify-identity unit tests: jobs, a fake gateway adapter, a sink."""

from dataclasses import dataclass, field
from typing import Any

from pyzeebe import Job

from workers.postgres.outcomes import Outcome

#: Personal data of one applicant; no test may find any of these values in logs or messages.
GIVEN_NAME = "Griselda"
FAMILY_NAME = "Quernsby-Oyelaran"
DATE_OF_BIRTH = "1987-11-23"
DOCUMENT_NUMBER = "ZQ4471902"
IMAGE_REF = "s3://kyc-images/zq4471902-front.jpg"
PERSONAL_VALUES = (GIVEN_NAME, FAMILY_NAME, DATE_OF_BIRTH, DOCUMENT_NUMBER, IMAGE_REF)

PROCESS_INSTANCE_KEY = 2251799813685300
ELEMENT_INSTANCE_KEY = 2251799813685377


def valid_variables(**overrides: Any) -> dict[str, Any]:
    variables: dict[str, Any] = {
        "applicantId": "A-1001",
        "applicant": {
            "givenName": GIVEN_NAME,
            "familyName": FAMILY_NAME,
            "dateOfBirth": DATE_OF_BIRTH,
        },
        "document": {
            "type": "passport",
            "number": DOCUMENT_NUMBER,
            "country": "GB",
            "imageRef": IMAGE_REF,
        },
    }
    variables.update(overrides)
    return variables


def make_job(
    version: int = 2,
    *,
    variables: dict[str, Any] | None = None,
    retries: int = 3,
    key: int = 2251799813685400,
    pik: int = PROCESS_INSTANCE_KEY,
    eik: int = ELEMENT_INSTANCE_KEY,
) -> Job:
    return Job(
        key=key,
        type=f"verify-identity-v{version}",
        process_instance_key=pik,
        bpmn_process_id="identity-verification",
        process_definition_version=1,
        process_definition_key=2251799813685249,
        element_id=f"verify-identity-v{version}",
        element_instance_key=eik,
        custom_headers={},
        worker="test",
        retries=retries,
        deadline=0,
        variables=valid_variables() if variables is None else variables,
    )


@dataclass
class FakeZeebeAdapter:
    """Stands in for pyzeebe's gateway adapter under a real `JobController`: records the
    values that would go over gRPC (so pyzeebe's own retries arithmetic is exercised)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def complete_job(self, job_key: int, variables: dict[str, Any]) -> None:
        self.calls.append(("complete_job", {"job_key": job_key, "variables": variables}))

    async def fail_job(
        self,
        job_key: int,
        retries: int,
        message: str,
        retry_back_off_ms: int,
        variables: dict[str, Any],
    ) -> None:
        self.calls.append(
            (
                "fail_job",
                {
                    "job_key": job_key,
                    "retries": retries,
                    "message": message,
                    "retry_back_off_ms": retry_back_off_ms,
                    "variables": variables,
                },
            )
        )

    async def throw_error(
        self, job_key: int, message: str, variables: dict[str, Any], error_code: str = ""
    ) -> None:
        self.calls.append(
            (
                "throw_error",
                {
                    "job_key": job_key,
                    "message": message,
                    "error_code": error_code,
                    "variables": variables,
                },
            )
        )

    def only_call(self) -> tuple[str, dict[str, Any]]:
        assert len(self.calls) == 1, self.calls
        return self.calls[0]


@dataclass
class ListOutcomeSink:
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    def record_outcome(
        self,
        job: Job,
        *,
        version: int,
        outcome: Outcome,
        latency_ms: float | None,
        error_code: str | None = None,
    ) -> None:
        self.outcomes.append(
            {
                "job_key": job.key,
                "version": version,
                "outcome": outcome,
                "latency_ms": latency_ms,
                "error_code": error_code,
            }
        )
