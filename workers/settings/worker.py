"""The `canary worker` process: which tasks, its name, its HTTP endpoints, shutdown."""

from collections.abc import Mapping
from dataclasses import dataclass

from workers.errors import ConfigError
from workers.settings.read import (
    bounded_duration,
    parse_bool,
    port_number,
    positive_duration,
    positive_int,
    seconds,
    text,
)

#: What `canary worker` runs when no selection is given.
DEFAULT_TASKS = ("choose", "v1", "v2")
#: Every selectable task group: `rollout` is the guarded-rollout controller (set rate,
#: analyse, notify), chosen explicitly because it needs an operator login (see
#: rollout_controller.RolloutControllerSettings).
TASK_NAMES = (*DEFAULT_TASKS, "rollout")
#: Longest start-up wait for the rollout config (seconds): past it a value is a typo.
MAX_STARTUP_WAIT = 600.0
#: Most jobs one task may run at once in one process (Zeebe's maxJobsToActivate is an int32;
#: past a few thousand per process a value is a typo).
MAX_JOBS_LIMIT = 10_000


def parse_tasks(value: str, *, name: str = "CANARY_TASKS") -> frozenset[str]:
    """``choose,v1,v2,rollout`` (any non-empty subset) -> the task groups this process runs."""
    tasks = frozenset(t.strip() for t in value.split(",") if t.strip())
    unknown = sorted(tasks - set(TASK_NAMES))
    if unknown or not tasks:
        msg = f"{name}={value!r}: choose from {', '.join(TASK_NAMES)} (comma-separated)"
        raise ConfigError(msg)
    return tasks


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """The `canary worker` process: which tasks, its name, its HTTP endpoints, shutdown."""

    tasks: frozenset[str] = frozenset(DEFAULT_TASKS)
    #: Worker name shown in Operate for the jobs it activates (from_env: the host name).
    name: str = "canary"
    http_host: str = "0.0.0.0"  # noqa: S104  (containers)
    #: /healthz, /readyz and /metrics; 0 picks a free port.
    http_port: int = 9400
    #: How long SIGTERM waits for in-flight jobs before exiting anyway.
    shutdown_grace: float = 25.0
    #: Jobs a task may run at once in this process.
    max_jobs: int = 64
    #: Use Zeebe's job streaming (8.4+) next to long polling. Off by default: long polling
    #: already hands jobs over within milliseconds, and a stream's jobs cross the channel's
    #: interceptor one by one.
    job_streaming: bool = False
    #: How long start-up waits for the rollout config before deciding with the fallback.
    startup_wait: float = 10.0
    #: Job timeout of the verify tasks (None: four request timeouts plus ten seconds).
    verify_job_timeout: float | None = None

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        hostname: str,
        tasks: str | None = None,
        http_port: int | None = None,
    ) -> "WorkerSettings":
        """`tasks` and `http_port` (the `--tasks` and `--http-port` flags) win over the
        environment."""
        default = cls()
        if http_port is not None:
            port = port_number(str(http_port), name="--http-port")
        else:
            port = port_number(
                text(environ, "CANARY_HTTP_PORT", str(default.http_port)), name="CANARY_HTTP_PORT"
            )
        return cls(
            tasks=(
                parse_tasks(tasks, name="--tasks")
                if tasks is not None
                else parse_tasks(text(environ, "CANARY_TASKS", ",".join(sorted(default.tasks))))
            ),
            name=text(environ, "CANARY_WORKER_NAME", hostname),
            http_host=text(environ, "CANARY_HTTP_HOST", default.http_host),
            http_port=port,
            shutdown_grace=seconds(environ, "CANARY_SHUTDOWN_GRACE", default.shutdown_grace),
            max_jobs=positive_int(
                environ, "CANARY_MAX_JOBS", default.max_jobs, maximum=MAX_JOBS_LIMIT
            ),
            job_streaming=parse_bool(
                text(environ, "CANARY_JOB_STREAMING", str(default.job_streaming)),
                name="CANARY_JOB_STREAMING",
            ),
            startup_wait=bounded_duration(
                environ, "CANARY_STARTUP_WAIT", default.startup_wait, maximum=MAX_STARTUP_WAIT
            ),
            verify_job_timeout=(
                positive_duration(environ, "CANARY_VERIFY_JOB_TIMEOUT", 1.0)
                if environ.get("CANARY_VERIFY_JOB_TIMEOUT", "").strip()
                else None
            ),
        )
