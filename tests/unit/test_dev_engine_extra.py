"""`canary demo` and `canary dev-engine` without the dev engine installed: one line, exit 1."""

import sys

import pytest

from workers.cli import main

MISSING = "canary: error: the dev engine is not installed: pip install 'camunda-canary[demo]'\n"


@pytest.fixture
def engine_not_installed(monkeypatch):
    """Make every import of the engine fail as it does where the `demo` extra is missing."""
    for name in [name for name in sys.modules if name.partition(".")[0] == "zeebe_devengine"]:
        monkeypatch.delitem(sys.modules, name)
    # A None entry makes `import zeebe_devengine` raise ModuleNotFoundError, as when absent.
    monkeypatch.setitem(sys.modules, "zeebe_devengine", None)
    monkeypatch.delitem(sys.modules, "workers.demo.run", raising=False)


@pytest.mark.parametrize(
    "argv",
    [["dev-engine", "--port", "0", "--rest-port", "0"], ["demo", "--instances", "1"]],
    ids=["dev-engine", "demo"],
)
def test_a_command_that_needs_the_missing_engine_names_the_extra_in_one_line(
    engine_not_installed, capsys, argv
):
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err == MISSING
    assert captured.out == ""


def test_other_missing_modules_are_not_reported_as_the_engine(monkeypatch):
    from workers.cli.dev_engine_extra import dev_engine_required  # noqa: PLC0415

    monkeypatch.setitem(sys.modules, "not_the_engine", None)
    with pytest.raises(ModuleNotFoundError), dev_engine_required():
        import not_the_engine  # noqa: F401, PLC0415


def test_commands_other_than_demo_and_dev_engine_run_without_the_engine(
    engine_not_installed, capsys
):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("canary ")
