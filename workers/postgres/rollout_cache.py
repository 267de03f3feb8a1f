"""The workers' view of the rollouts: in memory, kept current by LISTEN/NOTIFY.

A background task holds one Postgres connection that LISTENs on ``canary_rollouts`` and
reloads every rollout (with its overrides, in one query) when a change is announced and, as a
safety net, every `refresh_interval`. Deciding reads only memory: no job waits on Postgres.

When Postgres is unreachable the last known config keeps deciding until it is older than
`max_age`; from then on, and before anything was ever loaded, every decision is the fallback
version: the one configured (CANARY_FALLBACK_VERSION), else the rollout's baseline as last
known (the version everyone was on before the canary), else v1 when nothing was ever loaded.
The task reconnects by itself with exponential backoff and jitter, and logs each outage once
when it starts and once, with its duration, when it ends.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

import psycopg
import structlog

from workers.backoff import Backoff
from workers.errors import DatabaseUnavailableError
from workers.outage import OutageTracker
from workers.postgres.connection import connect, first_line
from workers.postgres.rollout_store import load_configs
from workers.routing import DEFAULT_BASELINE, Decision, RolloutConfig, Version, decide, fallback

log = structlog.get_logger(__name__)

CHANNEL = "canary_rollouts"
#: Shown in pg_stat_activity, so operators can see which connections are the workers'.
APPLICATION_NAME = "canary-rollout-cache"


@dataclass(frozen=True, slots=True)
class CacheHealth:
    """What `/readyz`, `/metrics` and the logs report about the rollout config."""

    connected: bool
    loaded: bool
    #: Seconds since the config was last confirmed current (None: never loaded).
    age: float | None
    #: True when decisions use the fallback version because the config is missing or too old.
    fallback_active: bool
    reconnects: int
    queries: int
    last_error: str | None


class RolloutCache:
    """In-memory rollout configs for deciding without a database round trip."""

    def __init__(
        self,
        database_url: str,
        *,
        max_age: float,
        refresh_interval: float,
        fallback_version: Version | None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = database_url
        self._max_age = max_age
        self._refresh_interval = refresh_interval
        #: None: each rollout falls back to its own baseline.
        self._fallback_version = fallback_version
        self._backoff = backoff or Backoff(base=0.5, cap=30.0)
        self._clock = clock
        self._configs: Mapping[str, RolloutConfig] = {}
        self._confirmed_at: float | None = None
        self._connected = False
        self._loaded = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._outage = OutageTracker(clock=clock)
        self._missing_logged: set[str] = set()
        self._fallback_logged = False
        self._announced = False
        self.queries = 0
        #: Called after every successful reload; `service` hooks metrics here.
        self.on_reload: Callable[[Mapping[str, RolloutConfig]], None] | None = None

    # -- deciding (hot path: memory only) -------------------------------------------------

    def decide(self, rollout: str, subject: str) -> Decision:
        """Route `subject` under `rollout` with the current config, or the fallback."""
        confirmed = self._confirmed_at
        config = self._configs.get(rollout)
        if confirmed is None or self._clock() - confirmed > self._max_age:
            answer = self._fallback_for(config)
            if not self._fallback_logged:
                self._fallback_logged = True
                log.warning(
                    "rollout config unavailable or too old; routing to the fallback version",
                    version=answer.version,
                    max_age_seconds=self._max_age,
                )
            return answer
        if config is None:
            answer = self._fallback_for(None)
            if rollout not in self._missing_logged:
                self._missing_logged.add(rollout)
                log.warning(
                    "unknown rollout; routing to the fallback version",
                    rollout=rollout,
                    version=answer.version,
                )
            return answer
        return decide(config, subject)

    def _fallback_for(self, config: RolloutConfig | None) -> Decision:
        """The configured fallback, else the rollout's baseline, else v1."""
        if self._fallback_version is not None:
            return fallback(self._fallback_version)
        return fallback(DEFAULT_BASELINE if config is None else config.baseline_version)

    def config(self, rollout: str) -> RolloutConfig | None:
        return self._configs.get(rollout)

    @property
    def configs(self) -> Mapping[str, RolloutConfig]:
        return self._configs

    def health(self) -> CacheHealth:
        confirmed = self._confirmed_at
        age = None if confirmed is None else self._clock() - confirmed
        return CacheHealth(
            connected=self._connected,
            loaded=confirmed is not None,
            age=age,
            fallback_active=age is None or age > self._max_age,
            reconnects=self.reconnects,
            queries=self.queries,
            last_error=self._outage.last_error,
        )

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start following Postgres in the background; returns at once."""
        if self._task is None:
            self._task = asyncio.create_task(self._follow(), name="rollout-cache")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The background task, once started (the service watches that it never ends)."""
        return self._task

    async def wait_loaded(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait up to `timeout` seconds for a first load; False if it did not come."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._loaded.wait(), timeout)
        return self._loaded.is_set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # A follower that died was logged by the service's task watch when it did.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self._connected = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # -- following Postgres ---------------------------------------------------------------

    async def _follow(self) -> None:
        attempt = 0
        while True:
            try:
                conn = await connect(
                    self._url,
                    keepalives=1,
                    keepalives_idle=10,
                    application_name=APPLICATION_NAME,
                )
            except DatabaseUnavailableError as exc:
                self._lost(str(exc))
                await asyncio.sleep(self._backoff.delay(attempt + 1))
                attempt += 1
                continue
            try:
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    # Load after LISTEN, so a change committed in between is not missed.
                    await self._reload(conn)
                    self._recovered()
                    attempt = 0
                    await self._listen(conn)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                self._connected = False
                self._lost(f"lost the Postgres connection: {first_line(exc)}")
                await asyncio.sleep(self._backoff.delay(attempt + 1))
                attempt += 1
            except Exception as exc:
                # A bug here must not silently end the following of Postgres: decisions
                # would go stale and then to the fallback with nothing said.
                self._connected = False
                with contextlib.suppress(Exception):
                    log.exception("rollout cache failed; restarting it", error=first_line(exc))
                await asyncio.sleep(self._backoff.delay(attempt + 1))
                attempt += 1

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while True:
            # Wake on the first notification or after `refresh_interval` (the safety net);
            # either way reload everything. Notifications that arrived meanwhile are folded
            # into that one reload.
            changed = False
            async for _ in conn.notifies(timeout=self._refresh_interval, stop_after=1):
                changed = True
            if changed:
                await self._drain(conn)
            await self._reload(conn)

    async def _drain(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Swallow notifications already queued; the reload that follows covers them."""
        async for _ in conn.notifies(timeout=0):
            pass

    async def _reload(self, conn: psycopg.AsyncConnection[Any]) -> None:
        configs = await asyncio.wait_for(load_configs(conn), timeout=10)
        self.queries += 1
        previous = self._configs
        self._configs = configs
        self._confirmed_at = self._clock()
        self._connected = True
        self._fallback_logged = False
        self._missing_logged -= set(configs)
        self._loaded.set()
        for name, config in configs.items():
            old = previous.get(name)
            if old is not None and old != config:
                log.info(
                    "rollout changed",
                    rollout=name,
                    rate=config.rate,
                    baseline_version=config.baseline_version,
                    canary_version=config.canary_version,
                    strategy=config.strategy.value,
                    overrides=len(config.overrides),
                )
        if self.on_reload is not None:
            self.on_reload(configs)

    @property
    def reconnects(self) -> int:
        """Times the connection was re-established after an outage."""
        return self._outage.recoveries

    def _lost(self, reason: str) -> None:
        if self._outage.failed(reason):
            log.warning(
                "rollout store unreachable; deciding with the last known config",
                reason=reason,
                loaded=self._confirmed_at is not None,
                max_age_seconds=self._max_age,
            )

    def _recovered(self) -> None:
        seconds = self._outage.recovered()
        if seconds is not None:
            log.info(
                "rollout store reachable again",
                outage_seconds=round(seconds, 3),
                reconnects=self.reconnects,
            )
        if not self._announced:
            self._announced = True
            log.info("rollout config loaded", rollouts=sorted(self._configs))
