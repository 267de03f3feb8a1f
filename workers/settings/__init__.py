"""Configuration: the one package that reads environment variables.

Each section is a frozen dataclass whose field defaults are the documented defaults, so code
that needs settings of its own (the demo, tests) builds them directly; ``from_env(environ)``
reads the variables that are set over those defaults. A command builds only the sections it
needs, so a malformed variable for the v2 client never stops `canary rate show`. Flags given
on the command line are passed to ``from_env`` as keyword overrides, never as forged
environment entries.
Every variable is listed in the README's configuration table; the tests read the variable
names from this package's modules and compare them with it and with the deployment files.

One module per section (`read` holds how one variable's text becomes a value); every name is
also importable from here, ``from workers.settings import ZeebeSettings``.
"""

from workers.settings.actor import default_actor
from workers.settings.auth import (
    AUTH_STRATEGIES,
    SAAS_AUDIENCE,
    SAAS_OAUTH_URL,
    AuthStrategy,
    CamundaAuth,
)
from workers.settings.camunda_rest import (
    DEFAULT_REST_ADDRESS,
    CamundaRestSettings,
    camunda_rest_address,
)
from workers.settings.cluster import DEFAULT_SAAS_REGION, SaasCluster
from workers.settings.database import DEFAULT_DATABASE_URL, DatabaseSettings
from workers.settings.logs import LogFormat, LoggingSettings
from workers.settings.read import check_rollout_name, parse_bool, parse_duration
from workers.settings.recorder import RecorderSettings
from workers.settings.rollout_controller import RolloutControllerSettings
from workers.settings.routing import DEFAULT_ROLLOUT, DEFAULT_SUBJECT_VARIABLE, RoutingSettings
from workers.settings.service import ServiceSettings
from workers.settings.verifymenow import DEFAULT_VERIFYMENOW_URL, VerifyMeNowSettings
from workers.settings.worker import (
    DEFAULT_TASKS,
    MAX_JOBS_LIMIT,
    MAX_STARTUP_WAIT,
    TASK_NAMES,
    WorkerSettings,
    parse_tasks,
)
from workers.settings.zeebe import DEFAULT_ZEEBE_ADDRESS, ZeebeSettings

__all__ = [
    "AUTH_STRATEGIES",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_REST_ADDRESS",
    "DEFAULT_ROLLOUT",
    "DEFAULT_SAAS_REGION",
    "DEFAULT_SUBJECT_VARIABLE",
    "DEFAULT_TASKS",
    "DEFAULT_VERIFYMENOW_URL",
    "DEFAULT_ZEEBE_ADDRESS",
    "MAX_JOBS_LIMIT",
    "MAX_STARTUP_WAIT",
    "SAAS_AUDIENCE",
    "SAAS_OAUTH_URL",
    "TASK_NAMES",
    "AuthStrategy",
    "CamundaAuth",
    "CamundaRestSettings",
    "DatabaseSettings",
    "LogFormat",
    "LoggingSettings",
    "RecorderSettings",
    "RolloutControllerSettings",
    "RoutingSettings",
    "SaasCluster",
    "ServiceSettings",
    "VerifyMeNowSettings",
    "WorkerSettings",
    "ZeebeSettings",
    "camunda_rest_address",
    "check_rollout_name",
    "default_actor",
    "parse_bool",
    "parse_duration",
    "parse_tasks",
]
