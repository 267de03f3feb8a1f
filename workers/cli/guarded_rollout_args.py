"""Arguments of the guarded-rollout commands: `canary rollout start|status|approve|pause|...`.

Parsing and validation only: `add_guarded_actions` declares the actions on the `rollout`
command's sub-parsers and `checked` turns parsed arguments into what each action needs (a
validated `RolloutPlan` for `start`), refusing bad input with one line before anything talks
to Camunda. The handlers are in `guarded_rollout_cmd`.

`status --wait` exits like `kubectl argo rollouts status`: 0 when the rollout was promoted,
`EXIT_ROLLED_BACK` / `EXIT_ABORTED` otherwise, so a pipeline can gate on it.
"""

import argparse
from dataclasses import dataclass
from typing import Any, Final

from workers.errors import ConfigError, InputError
from workers.guarded.plan import (
    DEFAULT_BAKE,
    DEFAULT_INTERVAL,
    DEFAULT_MAX_FAILURE_RATIO,
    DEFAULT_MIN_ATTEMPTS,
    DEFAULT_STEPS,
    RolloutPlan,
    plan_rollout,
)
from workers.guarded.process import EndEvent, Message
from workers.postgres.rollout_store import check_reason
from workers.routing import DEFAULT_BASELINE, DEFAULT_CANARY
from workers.settings import check_rollout_name

#: Exit codes of `canary rollout status --wait` (1 and 2 are the CLI's error and usage codes).
EXIT_PROMOTED: Final = 0
EXIT_ROLLED_BACK: Final = 3
EXIT_ABORTED: Final = 4
EXIT_CODES: Final = {
    EndEvent.PROMOTED: EXIT_PROMOTED,
    EndEvent.ROLLED_BACK: EXIT_ROLLED_BACK,
    EndEvent.ABORTED: EXIT_ABORTED,
}

ACTIONS: Final = ("start", "status", "approve", "pause", "resume", "abort", "promote", "list")


@dataclass(frozen=True, slots=True)
class GuardedAction:
    """A validated guarded-rollout command: what to do, to which rollout, with what."""

    action: str
    rollout: str | None
    plan: RolloutPlan | None = None
    #: The message the action publishes (correlation key: the rollout name), if any.
    message: Message | None = None
    reason: str | None = None


def add_guarded_actions(commands: "argparse._SubParsersAction[Any]") -> None:
    """Declare the guarded-rollout actions on `canary rollout`'s sub-parsers."""
    start = commands.add_parser(
        "start",
        help="start a guarded rollout: ramp the rate step by step, roll back on its own",
        description="Start the guarded-rollout process for NAME (one at a time per name).",
    )
    start.add_argument("name", metavar="NAME")
    start.add_argument(
        "--steps",
        default=DEFAULT_STEPS,
        help="rates, rising (default {})".format(DEFAULT_STEPS.replace("%", "%%")),
    )
    start.add_argument("--interval", default=DEFAULT_INTERVAL, help="how often a step is judged")
    start.add_argument("--bake", default=DEFAULT_BAKE, help="how long each step runs at least")
    start.add_argument("--approve-before", metavar="RATES", help="steps that wait for approval")
    start.add_argument("--min-attempts", type=int, default=DEFAULT_MIN_ATTEMPTS)
    start.add_argument("--max-failure-ratio", type=float, default=DEFAULT_MAX_FAILURE_RATIO)
    start.add_argument(
        "--baseline",
        "--baseline-version",
        dest="baseline_version",
        type=int,
        metavar="N",
        help="the version compared against (default: the rollout's, 1 for a new rollout)",
    )
    start.add_argument(
        "--canary",
        "--canary-version",
        dest="canary_version",
        type=int,
        metavar="N",
        help=(
            "the version ramped up (default: the rollout's, 2 for a new rollout); the first"
            " step writes the pair to the rollout"
        ),
    )
    start.add_argument("--dry-run", action="store_true", help="judge and notify, never set")
    start.add_argument("--json", action="store_true")

    status = commands.add_parser("status", help="the step, the bake, the last verdict")
    status.add_argument("name", metavar="NAME")
    status.add_argument("--watch", action="store_true", help="keep the view live")
    status.add_argument("--wait", action="store_true", help="block until the rollout ends")
    status.add_argument("--json", action="store_true")

    for action, text in (
        ("approve", "complete the approval the rollout waits for"),
        ("pause", "hold the rollout where it is: no new rate, no look, until resume"),
        ("resume", "resume a paused rollout"),
    ):
        parser = commands.add_parser(action, help=text)
        parser.add_argument("name", metavar="NAME")

    abort = commands.add_parser("abort", help="set the rate to 0 and end the rollout")
    abort.add_argument("name", metavar="NAME")
    abort.add_argument("--reason", required=True, help="why (recorded with the rate change)")

    promote = commands.add_parser("promote", help="skip the remaining steps: 100 %% now")
    promote.add_argument("name", metavar="NAME")
    promote.add_argument("--full", action="store_true", help="required: skip to 100 %%")

    listing = commands.add_parser("list", help="guarded rollouts, running and ended")
    listing.add_argument("--json", action="store_true")

    approve = commands.choices["approve"]
    approve.add_argument("--by", metavar="WHO", help="who approves (default: $CANARY_ACTOR)")
    for action in ACTIONS:
        parser = commands.choices[action]
        parser.set_defaults(guarded_action=action)
        _add_connection_options(parser, action)


#: Actions that publish a message over the Zeebe gateway (the rest only use REST).
_PUBLISHING: Final = frozenset({"start", "pause", "resume", "abort", "promote"})


def _add_connection_options(parser: argparse.ArgumentParser, action: str) -> None:
    parser.add_argument(
        "--rest-address",
        metavar="URL",
        help="Camunda REST API, e.g. http://localhost:8080 (default: $CAMUNDA_REST_ADDRESS)",
    )
    if action in _PUBLISHING:
        parser.add_argument("--address", help="Zeebe gateway host:port (default: $ZEEBE_ADDRESS)")
    if action in ("start", "status"):
        parser.add_argument(
            "--database-url",
            metavar="URL",
            help="Postgres of the rollout store (default: $DATABASE_URL, else the local server)",
        )


def _name(text: str) -> str:
    try:
        return check_rollout_name(text)
    except ConfigError as exc:
        raise InputError(str(exc)) from None


#: Actions that only publish their message to the running rollout.
_MESSAGES: Final = {"pause": Message.PAUSE, "resume": Message.RESUME}


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _start(args: Any, name: str) -> GuardedAction:
    # An omitted --baseline/--canary is the routing rollout's own (the handler fills it in
    # from the store); the defaults only stand in for it while the flags are checked.
    plan = plan_rollout(
        rollout=name,
        steps=args.steps,
        interval=args.interval,
        bake=args.bake,
        approve_before=args.approve_before,
        min_attempts=args.min_attempts,
        max_failure_ratio=args.max_failure_ratio,
        baseline_version=_or(args.baseline_version, DEFAULT_BASELINE),
        canary_version=_or(args.canary_version, DEFAULT_CANARY),
        dry_run=args.dry_run,
    )
    return GuardedAction("start", name, plan=plan, message=Message.START)


def checked(args: Any, action: str | None = None) -> GuardedAction:
    """Validate one parsed action (a Namespace, or a handler's typed arguments and the
    action's name); `InputError` with one line on the first fault."""
    action = str(action or args.guarded_action)
    if action == "list":
        return GuardedAction(action, None)
    name = _name(args.name)
    if action == "start":
        return _start(args, name)
    message, reason = _MESSAGES.get(action), None
    if action == "status" and args.watch and args.json:
        raise InputError("--watch draws a live view; use --json without it")
    if action == "abort":
        message, reason = Message.ABORT, check_reason(args.reason)
    if action == "promote":
        if not args.full:
            raise InputError(
                "promote needs --full (skip every remaining step and approval: 100 % now)"
            )
        message = Message.PROMOTE_FULL
    return GuardedAction(action, name, message=message, reason=reason)
