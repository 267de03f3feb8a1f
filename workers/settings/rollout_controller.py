"""The guarded-rollout controller (`canary worker --tasks rollout`): its login and webhook."""

from collections.abc import Mapping
from dataclasses import dataclass

from workers.errors import ConfigError
from workers.settings.read import positive_duration

DEFAULT_WEBHOOK_TIMEOUT = 5.0
#: Longest webhook call a `notify` job waits for; its job timeout (30 s) must stay above it.
MAX_WEBHOOK_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class RolloutControllerSettings:
    """The guarded-rollout controller's jobs.

    `set rate` changes rates and `analyse` reads the outcome counters: both need a login of
    the ``canary_operator`` role, while the verification workers keep ``canary_worker``.
    """

    #: CANARY_ROLLOUT_DATABASE_URL: the controller's login; None uses DATABASE_URL (a
    #: controller run as its own process, with an operator login there).
    database_url: str | None = None
    #: CANARY_ROLLOUT_WEBHOOK_URL: where `notify` POSTs its events (Slack-compatible); None
    #: only logs them. A secret (Slack's and Teams' URLs carry their token): never logged.
    webhook_url: str | None = None
    #: CANARY_ROLLOUT_WEBHOOK_TIMEOUT: how long one POST may take.
    webhook_timeout: float = DEFAULT_WEBHOOK_TIMEOUT

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RolloutControllerSettings":
        url = environ.get("CANARY_ROLLOUT_DATABASE_URL", "").strip() or None
        if url is not None and not url.startswith(("postgresql://", "postgres://")):
            msg = "CANARY_ROLLOUT_DATABASE_URL must be a postgresql:// URL"
            raise ConfigError(msg)
        webhook = environ.get("CANARY_ROLLOUT_WEBHOOK_URL", "").strip() or None
        if webhook is not None and not webhook.startswith(("http://", "https://")):
            # The value itself is not repeated: it may be a secret with a typo.
            msg = "CANARY_ROLLOUT_WEBHOOK_URL must be an http:// or https:// URL"
            raise ConfigError(msg)
        timeout = positive_duration(
            environ, "CANARY_ROLLOUT_WEBHOOK_TIMEOUT", DEFAULT_WEBHOOK_TIMEOUT
        )
        if timeout > MAX_WEBHOOK_TIMEOUT:
            msg = f"CANARY_ROLLOUT_WEBHOOK_TIMEOUT must be at most {MAX_WEBHOOK_TIMEOUT:g} s"
            raise ConfigError(msg)
        return cls(database_url=url, webhook_url=webhook, webhook_timeout=timeout)
