"""`canary` imports a library when a command first needs it (bench/cli_startup.py measures
what that saves): `--help` loads none of the heavy ones, and input a command refuses is refused
before the gateway client and gRPC are imported. A fresh process each, since this test
run has long imported them all."""

import os
import subprocess
import sys

import pytest

#: Each takes from a few hundredths to most of a second to import on a busy machine.
HEAVY = frozenset({"aiohttp", "grpc", "httpx", "psycopg", "pyzeebe", "rich", "structlog"})


def imported(*argv: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """`canary ARGV...`: its exit code and the top-level packages it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "workers", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    # Each line: "import time:", the microseconds of the module alone and with what it
    # imported, then its dotted name indented by depth.
    names = {
        line.split("|")[2].strip().partition(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return done.returncode, names


def test_help_imports_none_of_the_heavy_libraries():
    code, names = imported("--help")
    assert code == 0
    assert names & HEAVY == set()


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["worker"], {"CANARY_HTTP_PORT": "not-a-port"}),
        (["deploy", "no-such-model.bpmn"], {}),
        (["load", "--per-second", "0"], {}),
    ],
    ids=["worker-setting", "deploy-file", "load-flag"],
)
def test_refused_input_is_refused_before_the_gateway_client_is_imported(argv, env):
    code, names = imported(*argv, env=env)
    assert code == 1
    assert names & {"pyzeebe", "grpc"} == set()
