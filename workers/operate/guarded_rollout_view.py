"""The terminal view of `canary rollout status`: the step, the bake, the verdict, the figures."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from workers.errors import CanaryError
from workers.operate.guarded_rollouts import RolloutState
from workers.routing import format_rate

_OUTCOME_STYLE = {"promoted": "bold green", "rolled-back": "bold red", "aborted": "bold yellow"}


def _rate(value: Any) -> str:
    return format_rate(float(value)) if isinstance(value, int | float) else "?"


def _span(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _figures_table(figures: dict[str, Any], baseline: Any, canary: Any) -> Table:
    table = Table(header_style="bold", title="this step's figures", title_justify="left")
    for header in ("version", "attempts", "technical failures", "incidents", "p95 ms"):
        table.add_column(header, justify="left" if header == "version" else "right")
    for label, version in (("baseline", baseline), ("canary", canary)):
        found = figures.get(label)
        if not isinstance(found, dict):
            continue
        p95 = found.get("p95Ms")
        table.add_row(
            f"v{version}",
            f"{found.get('attempts', 0):,}",
            f"{found.get('failures', 0):,}",
            f"{found.get('incidents', 0):,}",
            f"{p95:,.0f}" if isinstance(p95, int | float) else "-",
        )
    return table


def rollout_view(state: RolloutState) -> RenderableType:
    data = state.to_json()
    heading = Text()
    heading.append(f"guarded rollout {state.name}", style="bold")
    heading.append(f" (process instance {state.instance.key}): ")
    heading.append(state.outcome, style=_OUTCOME_STYLE.get(state.outcome, "bold"))
    if data["dryRun"]:
        heading.append(" (dry run)")
    lines: list[RenderableType] = [heading]
    if data["step"] is not None:
        step = Text(f"step {data['step']} of {data['steps'] or '?'}: {_rate(data['stepRate'])}")
        step.append(f"; rate now {_rate(data['rate'])}" if data["rate"] is not None else "")
        lines.append(step)
    if state.running:
        phase = Text(f"{state.phase}")
        bake_left = data["bakeLeftSeconds"]
        if state.phase in ("baking", "holding: data too thin") and bake_left is not None:
            phase.append(f"; look {data['looks'] or 0}, bake left {_span(bake_left)}")
        lines.append(phase)
    if data["verdict"]:
        verdict = Text("last verdict: ")
        verdict.append(str(data["verdict"]), style="bold")
        if data["reasons"]:
            verdict.append(" (" + "; ".join(str(r) for r in data["reasons"]) + ")")
        lines.append(verdict)
    figures = data["figures"]
    if isinstance(figures, dict):
        lines.append(_figures_table(figures, data["baselineVersion"], data["canaryVersion"]))
    lines.extend(Text(f"incident: {i}", style="bold red") for i in state.incidents)
    return Group(*lines)


async def watch_rollout(
    fetch: Callable[[], Awaitable[RolloutState]], *, console: Console, interval: float
) -> RolloutState:
    """Redraw in place until the rollout ends (or Ctrl-C); returns its last state.

    A failed read shows one line and is retried; the first read must succeed.
    """
    state = await fetch()
    with Live(console=console, auto_refresh=False, transient=False) as live:
        while True:
            footer = Text(f"refreshing every {interval:g}s; Ctrl-C to stop", style="dim")
            live.update(Group(rollout_view(state), footer), refresh=True)
            if not state.running:
                live.update(rollout_view(state), refresh=True)
                return state
            await asyncio.sleep(interval)
            try:
                state = await fetch()
            except CanaryError as exc:
                problem = Text(f"{exc}; retrying every {interval:g}s", style="bold red")
                live.update(Group(problem, rollout_view(state)), refresh=True)
