"""The VerifyMeNow stand-in's behaviour without HTTP: config, validation, idempotency, draws."""

import asyncio
import json
import math
import random
import statistics

import pytest

from workers.demo.stub.config import StubConfig, StubConfigError, VersionBehaviour
from workers.demo.stub.provider import StandInProvider

V1_BODY = {
    "reference": "A-1",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "dateOfBirth": "1990-04-01",
    "documentType": "PASSPORT",
    "documentNumber": "X1",
    "issuingCountry": "GB",
}
V2_BODY = {
    "subject": {
        "reference": "A-1",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "date_of_birth": "1990-04-01",
    },
    "document": {"type": "passport", "number": "X1", "issuing_country": "GB"},
}
BODIES = {1: V1_BODY, 2: V2_BODY}


async def send(provider, version, body=None, *, key="k-1", headers=None):
    all_headers = {"Idempotency-Key": key} if key else {}
    all_headers.update(headers or {})
    raw = json.dumps(BODIES[version] if body is None else body).encode()
    answer = await provider.verify(version, all_headers, raw)
    try:
        decoded = json.loads(answer.body)
    except ValueError:
        decoded = None
    return answer, decoded


# -- config --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"v1": {"error_rate": 1.5}}, "error_rate must be between 0 and 1"),
        ({"v1": {"error_rate": math.nan}}, "error_rate must be between 0 and 1"),
        ({"v2": {"error_rate": 0.6, "rejection_rate": 0.5}}, "add up to more than 1"),
        ({"v2": {"latency_median_ms": 50, "latency_p95_ms": 10}}, "must not be below"),
        ({"v2": {"latency_median_ms": -1}}, "non-negative"),
        ({"v2": {"colour": 1}}, "unknown setting 'colour'"),
        ({"v3": {}}, "unknown setting 'v3'"),
        ({"v1": {"error_rate": "high"}}, "must be a number"),
        ({"v1": {"error_rate": True}}, "must be a number"),
        ({"v1": 0.5}, "v1 must be a JSON object"),
        ({"seed": "x"}, "seed must be an integer"),
        ([1], "must be a JSON object"),
    ],
)
def test_invalid_config_changes_are_refused_with_a_reason(changes, message):
    with pytest.raises(StubConfigError, match=message):
        StubConfig().updated(changes)


def test_a_partial_update_changes_only_what_it_names():
    config = StubConfig(v1=VersionBehaviour(rejection_rate=0.2), seed=4)
    updated = config.updated({"v2": {"error_rate": 1}})
    assert updated.v2.error_rate == 1.0
    assert updated.v1 == config.v1
    assert updated.seed == 4
    assert updated.as_json()["v2"]["error_rate"] == 1.0


@pytest.mark.parametrize(("median", "p95"), [(50.0, 150.0), (120.0, 400.0)])
def test_latency_is_lognormal_with_the_configured_median_and_p95(median, p95):
    behaviour = VersionBehaviour(latency_median_ms=median, latency_p95_ms=p95)
    rng = random.Random(11)
    draws = sorted(behaviour.latency_seconds(rng) * 1000 for _ in range(20_000))
    assert statistics.median(draws) == pytest.approx(median, rel=0.05)
    assert draws[int(0.95 * len(draws))] == pytest.approx(p95, rel=0.05)


def test_equal_median_and_p95_give_a_fixed_latency_and_zero_none():
    rng = random.Random(1)
    assert VersionBehaviour(latency_median_ms=80, latency_p95_ms=80).latency_seconds(rng) == 0.08
    assert VersionBehaviour().latency_seconds(rng) == 0.0


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "mutate", "status", "code", "field"),
    [
        (1, lambda b: b.pop("dateOfBirth"), 400, "MISSING_FIELD", "dateOfBirth"),
        (1, lambda b: b.update(dateOfBirth="01/04/1990"), 400, "INVALID_FIELD", "dateOfBirth"),
        (1, lambda b: b.update(documentType="VISA"), 400, "INVALID_FIELD", "documentType"),
        (1, lambda b: b.update(issuingCountry="UK"), 400, "INVALID_FIELD", "issuingCountry"),
        (1, lambda b: b.update(firstName=" "), 400, "INVALID_FIELD", "firstName"),
        (2, lambda b: b.pop("subject"), 422, "missing_field", "subject"),
        (2, lambda b: b["document"].update(type=["passport"]), 422, "invalid_field",
         "document.type"),
        (2, lambda b: b["subject"].update(date_of_birth="2999-01-01"), 422, "invalid_field",
         "subject.date_of_birth"),
        (2, lambda b: b["document"].update(issuing_country={"x": 1}), 422, "invalid_field",
         "document.issuing_country"),
    ],
)  # fmt: skip
async def test_invalid_requests_get_the_versions_error_with_code_and_field(
    version, mutate, status, code, field
):
    body = json.loads(json.dumps(BODIES[version]))
    mutate(body)
    provider = StandInProvider(StubConfig())
    answer, decoded = await send(provider, version, body)
    assert answer.status == status
    assert (decoded["code"], decoded["field"]) == (code, field)
    assert provider.stats()[f"v{version}"]["invalid"] == 1
    assert provider.stats()[f"v{version}"]["processed"] == 0


@pytest.mark.parametrize("version", [1, 2])
async def test_a_body_that_is_not_json_is_a_400(version):
    provider = StandInProvider(StubConfig())
    answer = await provider.verify(version, {"Idempotency-Key": "k"}, b"{nope")
    assert answer.status == 400
    assert json.loads(answer.body)["code"].lower() == "malformed_json"


async def test_v2_requires_an_idempotency_key_and_v1_does_not():
    provider = StandInProvider(StubConfig())
    answer, decoded = await send(provider, 2, key=None)
    assert (answer.status, decoded["code"]) == (400, "idempotency_key_required")
    answer, decoded = await send(provider, 1, key=None)
    assert (answer.status, decoded["status"]) == (200, "OK")


async def test_an_api_key_is_required_when_configured():
    provider = StandInProvider(StubConfig(), api_key="s3cret")
    answer, _ = await send(provider, 2)
    assert answer.status == 401
    answer, _ = await send(provider, 2, headers={"Authorization": "Bearer wrong"})
    assert answer.status == 401
    answer, _ = await send(provider, 2, headers={"Authorization": "Bearer s3cret"})
    assert answer.status == 201
    assert provider.stats()["v2"]["unauthorized"] == 2


# -- idempotency ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
async def test_the_same_key_gets_the_stored_answer_without_processing_again(version):
    provider = StandInProvider(StubConfig())
    first, first_body = await send(provider, version, key="same")
    again, again_body = await send(provider, version, key="same")
    assert again.status == first.status
    assert again_body == first_body
    assert again.headers["Idempotent-Replayed"] == "true"
    stats = provider.stats()[f"v{version}"]
    assert (stats["calls"], stats["processed"], stats["replayed"]) == (2, 1, 1)
    assert stats["keys"]["same"] == {"received": 2, "processed": 1, "stored": True}


async def test_a_failed_answer_is_not_stored_so_a_retry_is_processed_afresh():
    provider = StandInProvider(StubConfig(v2=VersionBehaviour(error_rate=1)))
    answer, _ = await send(provider, 2, key="k")
    assert answer.status == 503
    provider.update_config({"v2": {"error_rate": 0}})
    answer, decoded = await send(provider, 2, key="k")
    assert (answer.status, decoded["decision"]) == (201, "approved")
    assert provider.stats()["v2"]["keys"]["k"] == {"received": 2, "processed": 2, "stored": True}


async def test_the_same_key_with_another_body_is_refused():
    provider = StandInProvider(StubConfig())
    await send(provider, 2, key="k")
    other = json.loads(json.dumps(V2_BODY))
    other["document"]["number"] = "Y2"
    answer, decoded = await send(provider, 2, other, key="k")
    assert (answer.status, decoded["code"]) == (422, "idempotency_key_reused")


async def test_a_duplicate_while_the_first_is_in_flight_gets_409_with_retry_after():
    provider = StandInProvider(
        StubConfig(v2=VersionBehaviour(latency_median_ms=200, latency_p95_ms=200))
    )
    first = asyncio.create_task(send(provider, 2, key="k"))
    await asyncio.sleep(0)  # the first request is now waiting out its latency
    duplicate, decoded = await send(provider, 2, key="k")
    assert (duplicate.status, decoded["code"]) == (409, "request_in_progress")
    assert duplicate.headers["Retry-After"] == "1"
    answer, _ = await first
    assert answer.status == 201
    assert provider.stats()["v2"]["keys"]["k"]["processed"] == 1


# -- outcomes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "behaviour", "status", "expected"),
    [
        (1, {"error_rate": 1}, 503, {"status": "ERROR", "code": "UNAVAILABLE"}),
        (2, {"error_rate": 1}, 503, {"code": "unavailable"}),
        (1, {"rejection_rate": 1}, 200, {"status": "KO", "code": "REJECTED"}),
        (2, {"rejection_rate": 1}, 201, {"decision": "rejected"}),
        (1, {"unreadable_rate": 1}, 200, {"status": "KO", "code": "DOC_UNREADABLE"}),
        (2, {"unreadable_rate": 1}, 201, {"decision": "review", "reasons": ["document_glare"]}),
        (1, {}, 200, {"status": "OK", "code": "VERIFIED"}),
        (2, {}, 201, {"decision": "approved", "reasons": []}),
    ],
)
async def test_a_rate_of_one_gives_that_outcome_every_time(version, behaviour, status, expected):
    provider = StandInProvider(StubConfig().updated({f"v{version}": behaviour}))
    for i in range(5):
        answer, decoded = await send(provider, version, key=f"k{i}")
        assert answer.status == status
        assert decoded.items() >= expected.items()


async def test_malformed_answers_break_the_contract_and_are_not_stored():
    provider = StandInProvider(StubConfig(v1=VersionBehaviour(malformed_rate=1), seed=3))
    for i in range(10):
        answer, decoded = await send(provider, 1, key=f"k{i}")
        assert answer.status == 200
        assert decoded is None or "checkId" not in decoded
    stats = provider.stats()["v1"]
    assert stats["outcomes"]["malformed"] == 10
    assert not any(k["stored"] for k in stats["keys"].values())


async def test_a_seed_makes_the_sequence_reproducible_and_versions_independent():
    config = StubConfig().updated(
        {"seed": 42, "v1": {"rejection_rate": 0.5}, "v2": {"rejection_rate": 0.5}}
    )

    async def run(*, with_v1_traffic):
        provider = StandInProvider(config)
        seen = []
        for i in range(20):
            if with_v1_traffic:
                await send(provider, 1, key=f"x{i}")
            _, decoded = await send(provider, 2, key=f"k{i}")
            seen.append((decoded["id"], decoded["decision"]))
        return seen

    first = await run(with_v1_traffic=False)
    assert first == await run(with_v1_traffic=False)
    assert first == await run(with_v1_traffic=True)
    assert {decision for _, decision in first} == {"approved", "rejected"}


async def test_reset_forgets_counters_and_stored_answers_but_keeps_the_config():
    provider = StandInProvider(StubConfig(v1=VersionBehaviour(rejection_rate=1)))
    await send(provider, 1, key="k")
    provider.reset()
    stats = provider.stats()["v1"]
    assert (stats["calls"], stats["keys"]) == (0, {})
    assert provider.config.v1.rejection_rate == 1
    answer, _ = await send(provider, 1, key="k")
    assert "Idempotent-Replayed" not in answer.headers
