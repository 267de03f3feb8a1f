"""The identity-verification BPMN contract: every name the model and the code share.

`bpmn/identity-verification.bpmn` and the workers meet only through these strings: the
process id, the job types, the element ids Operate counts per version, the error codes the
boundary events catch, the task header and the process variables. Everything else imports
them from here, and `tests/unit/test_process_contract.py` reads the XML and checks it against
this module, so renaming an element in the Modeler fails one test instead of silently
counting zero in `canary status`.

Imports nothing of ours (a version is a plain int here), so every layer may use it.
"""

from typing import Final

#: The model's file under `bpmn/`, and the id of its one process.
BPMN_FILE: Final = "identity-verification.bpmn"
PROCESS_ID: Final = "identity-verification"
START_EVENT: Final = "application-submitted"
END_VERIFIED: Final = "identity-verified"

#: The routing task: its element id and its job type are the same word.
CHOOSE_VERSION: Final = "choose-version"
#: The split after it, and the join before the end.
SPLIT_GATEWAY: Final = "which-version"
JOIN_GATEWAY: Final = "versions-joined"

#: The task header naming the rollout a `choose-version` task follows, and the value the
#: model gives it.
ROLLOUT_HEADER: Final = "rollout"
MODEL_ROLLOUT: Final = "verifymenow"

#: BPMN error codes a verify task throws; each verify task has a boundary event for both.
IDENTITY_REJECTED: Final = "IDENTITY_REJECTED"
DOCUMENT_UNREADABLE: Final = "DOCUMENT_UNREADABLE"
ERROR_CODES: Final = (IDENTITY_REJECTED, DOCUMENT_UNREADABLE)

# -- process variables ------------------------------------------------------------------------
#: Set by `choose-version`; the split's condition is ``= useVersion = 2`` (a NUMBER).
USE_VERSION: Final = "useVersion"
CANARY_BUCKET: Final = "canaryBucket"
CANARY_RATE: Final = "canaryRate"
CANARY_RULE: Final = "canaryRule"
#: The input of the verify tasks; `APPLICANT_ID` is also the default routing subject.
APPLICANT_ID: Final = "applicantId"
APPLICANT: Final = "applicant"
DOCUMENT: Final = "document"
#: Set by the verify tasks: the provider's answer, and on a boundary path the error's details.
VERIFICATION: Final = "verification"
VERIFICATION_ERROR: Final = "verificationError"


def verify_task(version: int) -> str:
    """The verify task of `version`: its element id and its job type are the same word."""
    return f"verify-identity-v{version}"


def rejected_end(version: int) -> str:
    """The end event of `version`'s IDENTITY_REJECTED boundary path."""
    return f"application-rejected-v{version}"


def unreadable_end(version: int) -> str:
    """The end event of `version`'s DOCUMENT_UNREADABLE boundary path."""
    return f"document-unreadable-v{version}"


def boundary_event(version: int, error_code: str) -> str:
    """The boundary event on `version`'s verify task that catches `error_code`."""
    suffix = {IDENTITY_REJECTED: "identity-rejected", DOCUMENT_UNREADABLE: "document-unreadable"}
    return f"v{version}-{suffix[error_code]}"


def error_end(version: int, error_code: str) -> str:
    """The end event a boundary path for `error_code` on `version`'s task leads to."""
    return rejected_end(version) if error_code == IDENTITY_REJECTED else unreadable_end(version)
