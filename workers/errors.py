"""The project's error root. Each domain subclasses it where its callers need to tell cases apart.

    CanaryError                    anything we raise on purpose, with a one-line message
     ├── ConfigError               a setting or flag is missing or malformed
     ├── InputError                a command's argument is unacceptable (bad rate, unknown rollout)
     ├── DatabaseUnavailableError  Postgres cannot be reached (or stopped answering)
     └── MigrationError            a migration is missing, edited after it was applied, or failed

The CLI prints `canary: error: <message>` for any of them and exits non-zero; nothing else
about them is special.
"""


class CanaryError(Exception):
    """Root of the errors this project raises deliberately; the message is for people."""


class ConfigError(CanaryError):
    """A setting (environment variable or flag) is missing or malformed."""


class InputError(CanaryError):
    """A command's input cannot be accepted; nothing was changed."""


class DatabaseUnavailableError(CanaryError):
    """Postgres did not answer."""


class MigrationError(CanaryError):
    """The migrations on disk and the ones recorded in the database disagree, or one failed."""
