"""The dev engine's errors: each maps to the gRPC status (and HTTP status) Zeebe answers with.

DevEngineError                 root; a one-line message for people
 ├── InvalidArgumentError      INVALID_ARGUMENT / 400: malformed request, invalid BPMN
 │    ├── MalformedRequestError  refused by the gateway before it reaches the engine
 │    └── FeelSyntaxError      a FEEL expression outside the supported subset, or broken
 ├── NotFoundError             NOT_FOUND / 404: unknown (or no longer active) key
 ├── FailedPreconditionError   FAILED_PRECONDITION / 409: the entity is in the wrong state
 ├── AlreadyExistsError        ALREADY_EXISTS / 409: duplicate message id
 └── EngineStartError          the engine could not start (port in use, bad address)
"""


class DevEngineError(Exception):
    """Root of the dev engine's deliberate errors.

    `rejection` is the rejection type Zeebe's engine records for a refused command; the
    gateway words it ``Command 'INTENT' rejected with code 'TYPE': <message>``. None marks
    an error the gateway raises itself, before the command reaches the engine.
    """

    rejection: str | None = "PROCESSING_ERROR"


class InvalidArgumentError(DevEngineError):
    """The request is malformed, or a deployed resource is invalid or outside the subset."""

    rejection: str | None = "INVALID_ARGUMENT"


class MalformedRequestError(InvalidArgumentError):
    """The gateway refuses the request itself (a variables document that is not an object)."""

    rejection = None


class FeelSyntaxError(InvalidArgumentError):
    """A FEEL expression cannot be parsed, or uses a construct outside the supported subset."""


class NotFoundError(DevEngineError):
    """No entity with that key exists (any more)."""

    rejection = "NOT_FOUND"


class FailedPreconditionError(DevEngineError):
    """The entity exists but is in a state that does not allow the command."""

    rejection = "INVALID_STATE"


class AlreadyExistsError(DevEngineError):
    """An entity with the same identity already exists (a message with the same id)."""

    rejection = "ALREADY_EXISTS"


class EngineStartError(DevEngineError):
    """The engine could not start serving."""

    rejection = None


def rejection_text(exc: DevEngineError, intent: str) -> str:
    """The message as Zeebe's gateway words a rejected command (or the bare message)."""
    if exc.rejection is None or not intent:
        return str(exc)
    return f"Command '{intent}' rejected with code '{exc.rejection}': {exc}"
