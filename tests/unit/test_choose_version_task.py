"""The choose-version task function, called directly as pyzeebe would call it."""

from typing import Any

import structlog
from pyzeebe import Job, ZeebeTaskRouter
from structlog.testing import capture_logs

from workers import process
from workers.routing import Decision, RolloutConfig, Rule, Strategy, decide, fallback
from workers.tasks.choose_version import (
    decision_variables,
    make_choose_version,
    register_choose_version,
)


def make_job(
    variables: dict[str, Any], *, headers: dict[str, str] | None = None, pik: int = 2251799813685300
) -> Job:
    return Job(
        key=2251799813685400,
        type=process.CHOOSE_VERSION,
        process_instance_key=pik,
        bpmn_process_id="identity-verification",
        process_definition_version=1,
        process_definition_key=2251799813685249,
        element_id="choose-version",
        element_instance_key=2251799813685350,
        custom_headers=headers or {},
        worker="test",
        retries=3,
        deadline=0,
        variables=variables,
    )


class ConfigDecider:
    """Decides from fixed configs, remembering which rollout it was asked about."""

    def __init__(self, *configs: RolloutConfig) -> None:
        self.configs = {c.name: c for c in configs}
        self.asked: list[tuple[str, str]] = []

    def decide(self, rollout: str, subject: str) -> Decision:
        self.asked.append((rollout, subject))
        config = self.configs.get(rollout)
        return fallback(1) if config is None else decide(config, subject)


class ListSink:
    def __init__(self) -> None:
        self.decisions: list[tuple[int, str, Decision]] = []

    def record_decision(self, job: Job, rollout: str, decision: Decision) -> None:
        self.decisions.append((job.key, rollout, decision))


def task_for(*configs: RolloutConfig, sink: ListSink | None = None):
    decider = ConfigDecider(*configs)
    task = make_choose_version(
        decider, default_rollout="verifymenow", subject_variable="applicantId", sink=sink
    )
    return task, decider


async def test_sets_use_version_as_a_number_with_the_trace_variables():
    task, _ = task_for(RolloutConfig("verifymenow", 1.0, Strategy.STICKY, "s"))
    result = await task(make_job({"applicantId": "A-1"}))
    assert result["useVersion"] == 2
    assert type(result["useVersion"]) is int
    assert result["canaryRule"] == "sticky"
    assert result["canaryRate"] == 1.0
    assert 0 <= result["canaryBucket"] < 1


async def test_rate_zero_routes_to_v1():
    task, _ = task_for(RolloutConfig("verifymenow", 0.0, Strategy.STICKY, "s"))
    assert (await task(make_job({"applicantId": "A-1"})))["useVersion"] == 1


async def test_reactivated_job_for_the_same_instance_decides_the_same():
    task, _ = task_for(RolloutConfig("verifymenow", 0.5, Strategy.STICKY, "s"))
    results = [await task(make_job({"applicantId": f"A-{i}"})) for i in range(50)]
    again = [await task(make_job({"applicantId": f"A-{i}"})) for i in range(50)]
    assert results == again
    assert {r["useVersion"] for r in results} == {1, 2}


async def test_without_a_business_key_the_process_instance_key_is_the_subject():
    task, decider = task_for(RolloutConfig("verifymenow", 0.5, Strategy.STICKY, "s"))
    await task(make_job({}, pik=2251799813686000))
    assert decider.asked == [("verifymenow", "2251799813686000")]


async def test_rollout_task_header_selects_the_rollout():
    task, decider = task_for(
        RolloutConfig("verifymenow", 0.0, Strategy.STICKY, "s"),
        RolloutConfig("other", 1.0, Strategy.STICKY, "s"),
    )
    result = await task(make_job({"applicantId": "A"}, headers={"rollout": "other"}))
    assert decider.asked == [("other", "A")]
    assert result["useVersion"] == 2


async def test_override_is_reported_as_the_rule():
    task, _ = task_for(RolloutConfig("verifymenow", 0.0, Strategy.STICKY, "s", {"tester": 2}))
    result = await task(make_job({"applicantId": "tester"}))
    assert (result["useVersion"], result["canaryRule"], result["canaryBucket"]) == (
        2,
        "override",
        None,
    )


async def test_unknown_rollout_answers_the_fallback_instead_of_failing():
    task, _ = task_for()
    result = await task(make_job({"applicantId": "A"}))
    assert result == {
        "useVersion": 1,
        "canaryBucket": None,
        "canaryRate": None,
        "canaryRule": Rule.FALLBACK.value,
    }


async def test_each_decision_goes_to_the_sink():
    sink = ListSink()
    task, _ = task_for(RolloutConfig("verifymenow", 1.0, Strategy.STICKY, "s"), sink=sink)
    job = make_job({"applicantId": "A"})
    await task(job)
    assert [(key, rollout, d.version) for key, rollout, d in sink.decisions] == [
        (job.key, "verifymenow", 2)
    ]


async def test_log_line_names_the_job_and_version_but_not_the_subject():
    task, _ = task_for(RolloutConfig("verifymenow", 1.0, Strategy.STICKY, "s"))
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        await task(make_job({"applicantId": "applicant-secret-77"}))
    (line,) = [e for e in logs if e["event"] == "version chosen"]
    assert line["process_instance_key"] == "2251799813685300"  # strings: 64-bit keys
    assert line["job_key"] == "2251799813685400"
    assert line["element_id"] == "choose-version"
    assert line["task_type"] == "choose-version"
    assert line["version"] == 2
    assert "applicant-secret-77" not in repr(logs)


def test_registration_fetches_only_the_subject_variable():
    task, _ = task_for()
    router = ZeebeTaskRouter()
    register_choose_version(router, task, subject_variable="customerId")
    (registered,) = router.tasks
    assert registered.type == "choose-version"
    assert registered.config.variables_to_fetch == ["customerId"]


def test_decision_variables_carry_use_version_as_a_number():
    variables = decision_variables(decide(RolloutConfig("r", 1.0, Strategy.STICKY, "salt"), "a"))
    assert variables["useVersion"] == 2
    assert isinstance(variables["useVersion"], int)
    assert set(variables) == {"useVersion", "canaryBucket", "canaryRate", "canaryRule"}
    assert variables["canaryRule"] == "sticky"
