"""Everything `canary worker` needs, each section validated before anything starts."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from workers.settings.database import DatabaseSettings
from workers.settings.recorder import RecorderSettings
from workers.settings.rollout_controller import RolloutControllerSettings
from workers.settings.routing import RoutingSettings
from workers.settings.verifymenow import VerifyMeNowSettings
from workers.settings.worker import WorkerSettings
from workers.settings.zeebe import ZeebeSettings


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Everything `canary worker` needs; each section validated before anything starts."""

    worker: WorkerSettings = field(default_factory=WorkerSettings)
    zeebe: ZeebeSettings = field(default_factory=ZeebeSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    recorder: RecorderSettings = field(default_factory=RecorderSettings)
    verifymenow: VerifyMeNowSettings = field(default_factory=VerifyMeNowSettings)
    rollout: RolloutControllerSettings = field(default_factory=RolloutControllerSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, worker: WorkerSettings) -> "ServiceSettings":
        """The other sections from `environ`; `worker` is read first by `WorkerSettings.from_env`,
        the one reader of the process's own flags (--tasks, --http-port) and host name."""
        return cls(
            worker=worker,
            zeebe=ZeebeSettings.from_env(environ),
            database=DatabaseSettings.from_env(environ),
            routing=RoutingSettings.from_env(environ),
            recorder=RecorderSettings.from_env(environ),
            verifymenow=VerifyMeNowSettings.from_env(environ),
            rollout=RolloutControllerSettings.from_env(environ),
        )
