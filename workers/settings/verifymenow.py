"""The identity provider's two APIs (v1 and v2), their timeout and key."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from workers.errors import ConfigError
from workers.settings.read import seconds, text

DEFAULT_VERIFYMENOW_URL = "http://127.0.0.1:8090"


@dataclass(frozen=True, slots=True)
class VerifyMeNowSettings:
    #: Base URL of the provider's v1 API (the client appends /v1/...).
    v1_url: str = DEFAULT_VERIFYMENOW_URL
    #: Base URL of the provider's v2 API (the client appends /v2/...).
    v2_url: str = DEFAULT_VERIFYMENOW_URL
    #: Whole-request timeout in seconds; well below the job timeout.
    request_timeout: float = 5.0
    #: Sent as a bearer token when set; never logged.
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "VerifyMeNowSettings":
        urls = {}
        for name in ("VERIFYMENOW_V1_URL", "VERIFYMENOW_V2_URL"):
            url = text(environ, name, DEFAULT_VERIFYMENOW_URL)
            if not url.startswith(("http://", "https://")):
                msg = f"{name} must be an http:// or https:// URL"
                raise ConfigError(msg)
            urls[name] = url.rstrip("/")
        timeout = seconds(environ, "VERIFYMENOW_TIMEOUT", cls().request_timeout)
        if not math.isfinite(timeout) or timeout <= 0:
            msg = "VERIFYMENOW_TIMEOUT must be greater than 0"
            raise ConfigError(msg)
        return cls(
            v1_url=urls["VERIFYMENOW_V1_URL"],
            v2_url=urls["VERIFYMENOW_V2_URL"],
            request_timeout=timeout,
            api_key=environ.get("VERIFYMENOW_API_KEY") or None,
        )
