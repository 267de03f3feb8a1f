"""The dev engine's errors: each maps to the gRPC status (and HTTP status) Zeebe answers with.

DevEngineError                 root; a one-line message for people
 ├── InvalidArgumentError      INVALID_ARGUMENT / 400: malformed request, invalid BPMN
 │    └── FeelSyntaxError      a FEEL expression outside the supported subset, or broken
 ├── NotFoundError             NOT_FOUND / 404: unknown (or no longer active) key
 ├── FailedPreconditionError   FAILED_PRECONDITION / 409: the entity is in the wrong state
 ├── AlreadyExistsError        ALREADY_EXISTS / 409: duplicate message id
 └── EngineStartError          the engine could not start (port in use, bad address)
"""


class DevEngineError(Exception):
    """Root of the dev engine's deliberate errors."""


class InvalidArgumentError(DevEngineError):
    """The request is malformed, or a deployed resource is invalid or outside the subset."""


class FeelSyntaxError(InvalidArgumentError):
    """A FEEL expression cannot be parsed, or uses a construct outside the supported subset."""


class NotFoundError(DevEngineError):
    """No entity with that key exists (any more)."""


class FailedPreconditionError(DevEngineError):
    """The entity exists but is in a state that does not allow the command."""


class AlreadyExistsError(DevEngineError):
    """An entity with the same identity already exists (a message with the same id)."""


class EngineStartError(DevEngineError):
    """The engine could not start serving."""
