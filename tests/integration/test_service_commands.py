"""The service-side commands run as a user runs them: deploy, worker, load and demo."""

import asyncio
import json
import signal
from pathlib import Path

import pytest
from support.commands import canary, running_canary
from support.flow import (
    MODEL,
    current_status,
    finished,
    set_rate,
    stub_in_process,
    wait_for_status,
)

from workers.demo.stub.config import StubConfig

pytestmark = [pytest.mark.postgres, pytest.mark.engine]


async def test_deploy_lists_every_process_and_form_with_its_version_and_key(zeebe_target):
    code, out, err = await canary("deploy", "--address", zeebe_target.grpc_address, "--json")
    assert code == 0, err
    deployed = json.loads(out)
    # The guarded rollout's model and its approval form deploy by default too (issue 12).
    assert [(d["kind"], d.get("bpmnProcessId") or d.get("formId")) for d in deployed] == [
        ("process", "guarded-rollout"),
        ("process", "identity-verification"),
        ("form", "guarded-rollout-approval"),
    ]
    assert all(d["version"] == 1 for d in deployed)
    form = deployed[-1]
    assert form["resourceName"] == "guarded-rollout-approval.form"
    assert form["formKey"].isdigit()
    assert deployed[0]["processDefinitionKey"].isdigit()

    code, out, _ = await canary("deploy", "--address", zeebe_target.grpc_address)
    assert code == 0
    [form_row] = [line for line in out.splitlines() if "guarded-rollout-approval" in line]
    assert "form" in form_row
    assert "guarded-rollout-approval.form" in form_row
    code, out, _ = await canary("deploy", str(MODEL), "--address", zeebe_target.grpc_address)
    assert code == 0
    assert "identity-verification" in out
    assert "guarded-rollout" not in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<definitions", "the cluster refused broken.bpmn: "),
        ("not xml at all", "the cluster refused broken.bpmn: "),
    ],
)
async def test_deploy_refuses_a_bad_model_in_one_line(
    zeebe_target, tmp_path: Path, content, message
):
    broken = tmp_path / "broken.bpmn"
    broken.write_text(content)
    code, out, err = await canary("deploy", str(broken), "--address", zeebe_target.grpc_address)
    assert code == 1
    assert out == ""
    assert err.startswith(f"canary: error: {message}")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deploy", "--address", "127.0.0.1:1"], "cannot reach the Zeebe gateway at 127.0.0.1:1"),
        (["deploy", "no-such-file.bpmn"], "no-such-file.bpmn does not exist"),
        (["deploy", "README.md"], "README.md is not a .bpmn, .dmn or .form file"),
    ],
)
async def test_deploy_errors_are_one_line(args, message):
    code, out, err = await canary(*args)
    assert code == 1
    assert out == ""
    assert err.strip() == f"canary: error: {message}" or err.startswith(f"canary: error: {message}")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["worker", "--tasks", "choose,v3"], {}, "--tasks='choose,v3': choose from choose, v1, v2"),
        (["worker"], {"ZEEBE_ADDRESS": "ftp://x:1"}, "ZEEBE_ADDRESS scheme 'ftp' is not"),
        (["worker"], {"DATABASE_URL": "mysql://x"}, "DATABASE_URL must be a postgresql:// URL"),
        (["worker"], {"VERIFYMENOW_V1_URL": "x"}, "VERIFYMENOW_V1_URL must be an http"),
        (
            ["worker"],
            {"ZEEBE_CLIENT_ID": "id"},
            "OAuth needs CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET (or ZEEBE_*), both",
        ),
        (
            ["worker"],
            {"CANARY_SHUTDOWN_GRACE": "soon"},
            "CANARY_SHUTDOWN_GRACE='soon' is not a duration",
        ),
        (
            ["worker"],
            {
                "VERIFYMENOW_TIMEOUT": "10s",
                "CANARY_VERIFY_JOB_TIMEOUT": "5s",
                "ZEEBE_ADDRESS": "127.0.0.1:1",
            },
            "CANARY_VERIFY_JOB_TIMEOUT vs VERIFYMENOW_TIMEOUT",
        ),
    ],
)
async def test_worker_configuration_is_checked_at_start(args, env, message, database_url):
    code, out, err = await canary(*args, env={"DATABASE_URL": database_url, **env}, timeout=30)
    assert code == 1
    assert out == ""
    lines = [line for line in err.strip().splitlines() if line.startswith("canary: error:")]
    assert lines, err
    assert message in lines[0]


async def test_load_starts_the_requested_instances(zeebe_target, zeebe_client, database_url):
    from workers.operate.deploy import deploy  # noqa: PLC0415

    await deploy(zeebe_client, [MODEL], address=zeebe_target.grpc_address)
    baseline = await current_status(zeebe_target.rest_url)
    code, out, err = await canary(
        "load",
        "--count",
        "12",
        "--per-second",
        "200",
        "--seed",
        "1",
        "--address",
        zeebe_target.grpc_address,
    )
    assert code == 0, err
    assert out.strip() == "started 12 instance(s), 0 failed to start"
    code, out, _ = await canary(
        "load", "--count", "1", "--json", "--address", zeebe_target.grpc_address
    )
    assert (code, out.strip()) == (0, '{\n  "started": 1,\n  "failed": 0\n}')
    stub = await stub_in_process(StubConfig(seed=1))
    await set_rate(database_url, 0.5)
    from support.flow import workers  # noqa: PLC0415

    try:
        async with workers(
            grpc_address=zeebe_target.grpc_address, database_url=database_url, stub_url=stub.url
        ):
            status = await wait_for_status(
                zeebe_target.rest_url, lambda s: finished(s) == 13, baseline=baseline
            )
    finally:
        await stub.stop()
    assert sum(s.completed for s in status.versions.values()) == 13


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", "--per-second", "0"], "--per-second must be greater than 0"),
        (["load", "--count", "0"], "--count must be at least 1"),
        (["demo", "--instances", "0"], "--instances must be at least 1"),
        (["demo", "--rate", "120%"], "rate '120%' is outside 0..1"),
        (["demo", "--ramp", "5%,abc"], "rate 'abc' is not a number"),
    ],
)
async def test_load_and_demo_refuse_bad_input(args, message):
    code, out, err = await canary(*args)
    assert code != 0
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


async def test_the_demo_runs_to_its_summary_and_report(database_url):
    """The README's main command, small: everything embedded, a ramp, the report at the end."""
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    code, out, err = await canary(
        "demo",
        "--instances",
        "60",
        "--ramp",
        "20%,50%",
        "--seed",
        "3",
        # A database of this test's own: other runs and `make demo` share the server.
        "--database",
        database_url.rsplit("/", 1)[1] + "_demo",
        env={"DATABASE_URL": server},
        timeout=180,
    )
    assert code == 0, err[-2000:]
    assert "canary report verifymenow" in out
    assert "verdict" in out
    assert "60 instances in" in out
    assert "rate 20% -> 50%" in out


async def test_status_and_report_work_during_the_demo_and_ctrl_c_stops_it(database_url):
    """While the demo runs, `canary status` and `canary report` read its engine and database;
    Ctrl-C then stops everything cleanly."""
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    async with running_canary(
        "demo",
        "--instances",
        "100000",
        "--per-second",
        "50",
        "--database",
        database_url.rsplit("/", 1)[1] + "_demo",
        env={"DATABASE_URL": server, "COLUMNS": "400"},
    ) as process:
        assert process.stdout is not None
        watch_line = b""
        while b"canary status --rest-address" not in watch_line:
            watch_line = await asyncio.wait_for(process.stdout.readline(), 120)
            assert watch_line, "the demo ended before it printed its status command"
        words = watch_line.decode().split()
        rest_address = words[words.index("--rest-address") + 1]
        demo_db = words[words.index("--database-url") + 1]
        await asyncio.sleep(3)  # instances are flowing
        code, out, err = await canary(
            "status", "--json", "--rest-address", rest_address, "--database-url", demo_db
        )
        assert code == 0, err
        status = json.loads(out)
        routed = sum(
            status["versions"][v]["completed"] + status["versions"][v]["active"]
            for v in ("v1", "v2")
        )
        assert routed > 0
        code, out, err = await canary("report", "--json", "--database-url", demo_db)
        assert code == 0, err
        assert json.loads(out)["versions"]
        process.send_signal(signal.SIGINT)
        rest, err_bytes = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 130
    assert b"Traceback" not in err_bytes
    assert b"stopped by you after" in rest
