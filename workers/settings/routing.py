"""Which rollout the choose-version worker follows, and how long it trusts what it knows."""

from collections.abc import Mapping
from dataclasses import dataclass

from workers import process
from workers.errors import ConfigError
from workers.routing import Version, parse_version
from workers.settings.read import check_rollout_name, seconds, text

DEFAULT_ROLLOUT = process.MODEL_ROLLOUT
DEFAULT_SUBJECT_VARIABLE = process.APPLICANT_ID


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    #: Which rollout row the choose-version worker follows.
    rollout: str = DEFAULT_ROLLOUT
    #: Process variable holding the stable subject key (else the process instance key).
    subject_variable: str = DEFAULT_SUBJECT_VARIABLE
    #: How long the last known config may be used while Postgres is unreachable.
    max_config_age: float = 300.0
    #: Safety-net reload period, on top of LISTEN/NOTIFY.
    refresh_interval: float = 30.0
    #: The version every instance gets once the config is older than `max_config_age`; None
    #: (the default): the rollout's baseline as last known, v1 if nothing was ever loaded.
    fallback_version: Version | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RoutingSettings":
        default = cls()
        max_age = seconds(environ, "CANARY_CONFIG_MAX_AGE", default.max_config_age)
        refresh = seconds(environ, "CANARY_CONFIG_REFRESH", default.refresh_interval)
        if refresh <= 0:
            msg = "CANARY_CONFIG_REFRESH must be greater than 0"
            raise ConfigError(msg)
        if max_age <= refresh:
            # Otherwise a healthy worker would flap to the fallback between two refreshes.
            msg = "CANARY_CONFIG_MAX_AGE must be longer than CANARY_CONFIG_REFRESH"
            raise ConfigError(msg)
        fallback_text = text(environ, "CANARY_FALLBACK_VERSION", "baseline")
        fallback: Version | None = None
        if fallback_text != "baseline":
            try:
                fallback = parse_version(fallback_text)
            except ValueError:
                msg = (
                    f"CANARY_FALLBACK_VERSION={fallback_text!r} must be a version number"
                    " (1, 2, 3, ...) or 'baseline'"
                )
                raise ConfigError(msg) from None
        subject_variable = text(environ, "CANARY_SUBJECT_VARIABLE", default.subject_variable)
        if not subject_variable.isidentifier():
            msg = f"CANARY_SUBJECT_VARIABLE={subject_variable!r} is not a variable name"
            raise ConfigError(msg)
        return cls(
            rollout=check_rollout_name(text(environ, "CANARY_ROLLOUT", default.rollout)),
            subject_variable=subject_variable,
            max_config_age=max_age,
            refresh_interval=refresh,
            fallback_version=fallback,
        )
