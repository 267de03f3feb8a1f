"""The README's commands are real: each `canary` line parses with the real CLI, each `make`
target exists, each compose service named exists, each variable in the table is read.
tests/integration/test_readme_commands.py runs the `canary` lines against a running stack."""

import re

import pytest
import yaml
from code_facts import variables_the_code_reads
from support.readme import README, ROOT, SHELL_LINES, canary_commands

from workers.cli import build_parser


@pytest.mark.parametrize("argv", canary_commands(), ids=" ".join)
def test_every_canary_command_in_the_readme_parses(argv):
    args = build_parser().parse_args(argv)
    assert callable(args.handler)


def test_the_readme_shows_commands_at_all():
    assert len(canary_commands()) >= 10


def test_the_command_table_names_every_command_and_only_real_ones():
    table = README.split("## Commands")[1].split("A first rollout")[0]
    named = set(re.findall(r"^\| `canary ([a-z-]+)", table, flags=re.MULTILINE))
    parser = build_parser()
    assert parser._subparsers is not None
    registered = set(parser._subparsers._group_actions[0].choices or ())
    assert named == registered


def test_every_make_target_in_the_readme_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = {m.group(1) for m in re.finditer(r"^([a-z-]+):", makefile, flags=re.MULTILINE)}
    used = {line.split()[1] for line in SHELL_LINES if line.startswith("make ")}
    assert used
    assert used <= targets
    inline = set(re.findall(r"`make ([a-z-]+)`", README))
    assert inline <= targets


def test_the_two_commands_are_on_the_first_screen():
    first_screen = README.split("---")[0]
    assert "make demo" in first_screen
    assert "make test" in first_screen
    assert "bpmn/identity-verification.png" in first_screen
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_compose_services_named_in_the_readme_exist():
    services = set(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])
    named = set(re.findall(r"--scale ([a-z0-9-]+)=", README)) | set(
        re.findall(r"docker compose run --rm ([a-z0-9-]+)", README)
    )
    assert named
    assert named <= services


def test_the_configuration_table_lists_every_variable_the_code_reads():
    read = variables_the_code_reads() - {"USER", "LOGNAME"}
    table = README.split("## Configuration")[1].split("## Commands")[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    # "CAMUNDA_BASIC_AUTH_USERNAME / _PASSWORD" style rows name the second by its suffix.
    for prefix, suffix in re.findall(r"`([A-Z][A-Z0-9_]+?)_[A-Z]+` / `_([A-Z]+)`", table):
        documented.add(f"{prefix}_{suffix}")
    assert read - documented == set()
