"""Zeebe keys in JSON log lines are strings: as numbers, 64-bit keys lose digits in jq/JS."""

import json

import structlog

from tests.unit.verify_support import make_job
from workers.tasks.job_context import job_fields, job_log_context

KEY = 2251799813685400123  # above 2**53: a JSON number would round it in JavaScript


def render(**fields: object) -> dict[str, object]:
    line = structlog.processors.JSONRenderer()(None, "info", {"event": "x", **fields})
    return json.loads(line)  # type: ignore[no-any-return]


def test_job_fields_render_keys_as_exact_strings():
    rendered = render(**job_fields(make_job(key=KEY, pik=KEY + 1)))
    assert rendered["job_key"] == str(KEY)
    assert rendered["process_instance_key"] == str(KEY + 1)


def test_the_bound_job_context_carries_string_keys():
    with job_log_context(make_job(key=KEY)):
        bound = structlog.contextvars.get_contextvars()
    assert render(**bound)["job_key"] == str(KEY)
