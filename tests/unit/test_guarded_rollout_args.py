"""`canary rollout start|status|approve|pause|resume|abort|promote|list`: parsing and checks."""

import pytest

from workers.cli import OneLineParser
from workers.cli.guarded_rollout_args import (
    EXIT_CODES,
    EXIT_PROMOTED,
    add_guarded_actions,
    checked,
)
from workers.errors import InputError
from workers.guarded.process import EndEvent, Message


def parse(*argv: str):
    parser = OneLineParser(prog="canary rollout")
    add_guarded_actions(parser.add_subparsers(metavar="ACTION", required=True))
    return checked(parser.parse_args(argv))


def test_start_with_the_issues_flags_gives_a_validated_plan_and_the_start_message():
    action = parse(
        "start", "verifymenow", "--steps", "1%,5%,25%,50%,100%", "--interval", "1m",
        "--bake", "10m", "--approve-before", "50%,100%", "--min-attempts", "200",
        "--max-failure-ratio", "2", "--dry-run",
    )  # fmt: skip
    assert action.message is Message.START
    assert action.plan is not None
    assert [s.rate for s in action.plan.steps] == [0.01, 0.05, 0.25, 0.5, 1.0]
    assert action.plan.dry_run is True
    assert action.plan.analysis.min_attempts == 200


def test_start_defaults_are_the_plans():
    action = parse("start", "verifymenow")
    assert action.plan is not None
    assert action.plan.describe().startswith("verifymenow: 1% -> 5% -> 25% -> 50% -> 100%")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("start", "verifymenow", "--steps", "50%,5%"), "--steps must rise"),
        (("start", "verifymenow", "--steps", "150%"), "outside 0..1"),
        (("start", "verifymenow", "--interval", "5m", "--bake", "1m"), "shorter than --interval"),
        (("start", "verifymenow", "--approve-before", "30%"), "not one of the steps"),
        (("start", "Bad Name"), "rollout name 'Bad Name' is invalid"),
        (("promote", "verifymenow"), "promote needs --full"),
        (("abort", "verifymenow", "--reason", "  "), "a reason is required"),
        (("status", "verifymenow", "--watch", "--json"), "use --json without it"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_sent(argv, message):
    with pytest.raises(InputError, match=message) as caught:
        parse(*argv)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("pause", "verifymenow"), Message.PAUSE),
        (("resume", "verifymenow"), Message.RESUME),
        (("promote", "verifymenow", "--full"), Message.PROMOTE_FULL),
        (("abort", "verifymenow", "--reason", "release cancelled"), Message.ABORT),
    ],
)
def test_each_control_action_publishes_its_message_to_the_rollout(argv, message):
    action = parse(*argv)
    assert action.message is message
    assert action.rollout == "verifymenow"


def test_abort_keeps_its_reason_and_approve_and_list_publish_nothing():
    assert parse("abort", "verifymenow", "--reason", "release  cancelled").reason == (
        "release cancelled"
    )
    assert parse("approve", "verifymenow").message is None
    assert parse("list").rollout is None


def test_abort_without_a_reason_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        parse("abort", "verifymenow")
    assert exited.value.code == 2
    assert "--reason" in capsys.readouterr().err


def test_status_wait_exit_codes_tell_promoted_from_rolled_back_and_aborted():
    assert EXIT_CODES[EndEvent.PROMOTED] == EXIT_PROMOTED == 0
    assert len(set(EXIT_CODES.values())) == 3
    assert not {1, 2} & set(EXIT_CODES.values())  # the CLI's error and usage codes
