"""A guarded rollout end to end on the dev engine: the harness the flow tests share.

The real model and its form are deployed; the controller's jobs are served by the real
worker service (`running_service` with the ``rollout`` tasks, in this process) or by a real
`canary worker --tasks rollout` process; commands run through the real parser and handlers.
The engine clock is pinned, and `look` advances it one interval at a time, so the bake and the
timers follow the pinned clock and no test waits out a real interval.
"""

import contextlib
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from pyzeebe import ZeebeClient
from rollout_jobs import Webhook, seed, webhook_receiver
from support.eventually import eventually

from workers.cli import build_parser, typed_arguments
from workers.errors import CanaryError
from workers.guarded.process import PROCESS_ID, RESUME_POINTS, Element, StepKey, Variable
from workers.operate.camunda_rest import CamundaRestClient, ProcessInstance
from workers.operate.deploy import BPMN_DIR, deploy
from workers.operate.guarded_rollouts import RolloutState, find_instance, read_state
from workers.postgres import rollout_store
from workers.runtime.service import RunningService, running_service
from workers.settings import CamundaRestSettings, ServiceSettings

ROLLOUT = "verifymenow"
INTERVAL_MS = 60_000
#: Where the pinned clock starts: any fixed instant will do.
EPOCH_MS = 1_800_000_000_000
MODEL_FILES = [BPMN_DIR / "guarded-rollout.bpmn", BPMN_DIR / "guarded-rollout-approval.form"]
#: How long a step of the process may take on a loaded machine before a test gives up.
SETTLE_TIMEOUT = 30.0


def controller_environ(
    *, grpc_address: str, rest_url: str, database_url: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of the controller and of the commands (as an operator would set it)."""
    return {
        "ZEEBE_ADDRESS": grpc_address,
        "CAMUNDA_REST_ADDRESS": rest_url,
        "DATABASE_URL": database_url,
        "CANARY_TASKS": "rollout",
        "CANARY_HTTP_HOST": "127.0.0.1",
        "CANARY_HTTP_PORT": "0",
        "CANARY_SHUTDOWN_GRACE": "2s",
        "CANARY_ACTOR": "ops@test",
        **(extra or {}),
    }


@contextlib.asynccontextmanager
async def controller(environ: dict[str, str]) -> AsyncIterator[RunningService]:
    """The worker service serving only the rollout's jobs, in this process."""
    settings = ServiceSettings.from_env(environ, hostname="test-controller")
    async with running_service(settings) as service:
        yield service


async def deploy_rollout_model(client: ZeebeClient, address: str) -> None:
    await deploy(client, MODEL_FILES, address=address)


@contextlib.asynccontextmanager
async def rollout_world(
    target: Any,
    client: ZeebeClient,
    clock: Any,
    db: psycopg.AsyncConnection[Any],
    database_url: str,
    extra: dict[str, str] | None = None,
) -> AsyncIterator["Rollouts"]:
    """Clock pinned, model deployed, a webhook receiver; the controller is the test's to run."""
    target.require_dev_engine("pins the engine clock and reads the rollout's scopes and jobs")
    await clock.pin(EPOCH_MS)
    await deploy_rollout_model(client, target.grpc_address)
    async with webhook_receiver() as webhook:
        environ = controller_environ(
            grpc_address=target.grpc_address,
            rest_url=target.rest_url,
            database_url=database_url,
            extra={"CANARY_ROLLOUT_WEBHOOK_URL": webhook.url, **(extra or {})},
        )
        settings = CamundaRestSettings.from_env({"CAMUNDA_REST_ADDRESS": target.rest_url})
        async with CamundaRestClient(settings) as rest:
            yield Rollouts(clock, target.rest_url, rest, db, webhook, environ)


def settled(state: RolloutState) -> bool:
    """The rollout waits for something outside it: the clock, a person, an operator (and a
    pause's notification is out)."""
    return (
        not state.running
        or bool(state.incidents)
        or (state.active(*RESUME_POINTS) and not state.active(Element.NOTIFY_PAUSED))
    )


def step_number(state: RolloutState) -> int | None:
    return None if state.step is None else int(state.step[StepKey.NUMBER])


@dataclass
class Rollouts:
    """One test's rollout world: engine (clock pinned), database, webhook, environment."""

    clock: Any
    rest_url: str
    #: One client for the test's reads (building one loads the CA bundle: ~0.2 s each).
    rest: CamundaRestClient
    db: psycopg.AsyncConnection[Any]
    webhook: Webhook
    environ: dict[str, str]
    name: str = ROLLOUT
    outputs: list[str] = field(default_factory=list)

    async def canary(self, *argv: str) -> tuple[int, str]:
        """Run a `canary` command in this process: (exit code, stdout or the error line)."""
        args = build_parser().parse_args(list(argv))
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                code = await args.handler(typed_arguments(args), self.environ)
        except CanaryError as exc:
            return 1, str(exc)
        self.outputs.append(out.getvalue())
        return int(code), out.getvalue()

    async def start(self, *flags: str) -> None:
        code, out = await self.canary("rollout", "start", self.name, *flags)
        assert code == 0, out
        await self.wait(settled, "the rollout to settle after its start")

    async def state(self) -> RolloutState:
        instance = await find_instance(self.rest, self.name)
        assert instance is not None, f"no rollout {self.name} in Camunda"
        return await read_state(self.rest, self.name, instance)

    async def rest_instances(self) -> list[ProcessInstance]:
        """Every guarded-rollout instance Camunda's search shows."""
        return await self.rest.process_instances(PROCESS_ID)

    async def wait(self, check: Callable[[RolloutState], bool], what: str) -> RolloutState:
        found: list[RolloutState] = []

        async def holds() -> bool:
            found[:] = [await self.state()]
            return check(found[0])

        await eventually(holds, timeout=SETTLE_TIMEOUT, interval=0.05, what=what)
        return found[0]

    async def look(self, times: int = 1) -> RolloutState:
        """Advance the clock one interval `times` times; each time wait until the look is done
        (a verdict taken, the rollout waiting again)."""
        state = await self.state()
        for _ in range(times):
            before = (step_number(state), state.variables.get(Variable.STEP_LOOKS))
            await self.clock.advance(INTERVAL_MS)

            def done(s: RolloutState, before: tuple[Any, Any] = before) -> bool:
                moved = (step_number(s), s.variables.get(Variable.STEP_LOOKS)) != before
                return settled(s) and (moved or not s.running or bool(s.incidents))

            state = await self.wait(done, "the look to finish")
        return state

    async def rate(self) -> float:
        return (await rollout_store.get_rollout(self.db, self.name)).rate

    async def history(self) -> list[rollout_store.HistoryRow]:
        return list(reversed(await rollout_store.history(self.db, self.name)))

    async def traffic(self, *, v1: tuple[int, int], v2: tuple[int, int]) -> None:
        """Record (attempts, technical failures) per version now, in the current step."""
        cur = await self.db.execute("SELECT now()")
        row = await cur.fetchone()
        assert row is not None
        for version, (attempts, failures) in ((1, v1), (2, v2)):
            await seed(self.db, version=version, attempts=attempts, failures=failures, at=row[0])
