"""Every command's handler gets a frozen dataclass of exactly the arguments its parser declares."""

import argparse
import dataclasses

import pytest

from workers.cli import build_parser, typed_arguments


def leaf_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[str, argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(" ".join(path), parser)]
    return [
        leaf
        for name, child in subs[0].choices.items()
        for leaf in leaf_parsers(child, (*path, name))
    ]


LEAVES = leaf_parsers(build_parser())


def test_every_command_is_covered():
    assert len(LEAVES) >= 20


@pytest.mark.parametrize(("command", "parser"), LEAVES, ids=[c for c, _ in LEAVES])
def test_the_arguments_class_has_one_field_per_declared_argument(command, parser):
    arguments = parser._defaults["arguments"]
    assert dataclasses.is_dataclass(arguments), command
    assert getattr(arguments, "__dataclass_params__").frozen, command  # noqa: B009
    declared = {a.dest for a in parser._actions if not isinstance(a, argparse._HelpAction)}
    assert {f.name for f in dataclasses.fields(arguments)} == declared


def test_the_handler_receives_the_typed_arguments_not_the_namespace():
    args = build_parser().parse_args(["rate", "set", "verifymenow", "25%", "--reason", "r"])
    typed = typed_arguments(args)
    assert type(typed).__name__ == "RateSetArgs"
    assert (typed.name, typed.value, typed.reason, typed.by) == ("verifymenow", "25%", "r", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        typed.value = "50%"
