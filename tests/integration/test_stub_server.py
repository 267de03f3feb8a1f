"""The VerifyMeNow stand-in over real HTTP, driven by the real v1 and v2 clients and its CLI."""

import asyncio
import dataclasses
import datetime as dt
import math
import signal
from collections import Counter

import httpx
import pytest
from support.commands import canary, running_canary

from workers.cli import main
from workers.demo.stub.config import StubConfig, VersionBehaviour
from workers.demo.stub.server import VerifyMeNowStub
from workers.verifymenow.errors import (
    DocumentUnreadableError,
    IdentityRejectedError,
    InvalidRequestError,
    MalformedResponseError,
    ProviderStatusError,
    ProviderTimeoutError,
)
from workers.verifymenow.request import DocumentType, VerificationRequest
from workers.verifymenow.v1 import VerifyMeNowV1
from workers.verifymenow.v2 import VerifyMeNowV2

REQUEST = VerificationRequest(
    applicant_id="A-1",
    given_name="Ada",
    family_name="Lovelace",
    date_of_birth=dt.date(1990, 4, 1),
    document_type=DocumentType.ID_CARD,
    document_number="X1",
    document_country="FR",
)
#: Two-sided 99.9 % normal quantile: each count may stray this many standard deviations.
Z_999 = 3.2905


def client_for(version: int, url: str, *, timeout: float = 2.0, api_key: str | None = None):
    cls = VerifyMeNowV1 if version == 1 else VerifyMeNowV2
    return cls(base_url=url, timeout=timeout, api_key=api_key)


async def classify(client, key: str) -> str:
    try:
        await client.verify(REQUEST, idempotency_key=key)
    except ProviderStatusError as exc:
        return f"http {exc.status}"
    except MalformedResponseError:
        return "malformed"
    except IdentityRejectedError:
        return "rejected"
    except DocumentUnreadableError:
        return "unreadable"
    return "approved"


async def admin(stub: VerifyMeNowStub, method: str, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stub.url) as http:
        return await http.request(method, path, **kwargs)


@pytest.mark.parametrize("version", [1, 2])
async def test_configured_rates_are_honoured_within_binomial_bounds(version):
    rates = {"error_rate": 0.2, "malformed_rate": 0.05, "rejection_rate": 0.15,
             "unreadable_rate": 0.1}  # fmt: skip
    config = StubConfig().updated({f"v{version}": rates, "seed": 2024})
    n = 1000
    async with VerifyMeNowStub(config) as stub, client_for(version, stub.url) as client:
        # One at a time: client and server share this loop and one core, so concurrency
        # only adds overhead (measured ~1.1 ms a request sequential, ~1.8 ms in batches).
        seen = Counter([await classify(client, f"k{i}") for i in range(n)])
        stats = (await admin(stub, "GET", "/admin/stats")).json()[f"v{version}"]
    expected = {
        "http 503": rates["error_rate"],
        "malformed": rates["malformed_rate"],
        "rejected": rates["rejection_rate"],
        "unreadable": rates["unreadable_rate"],
        "approved": 1 - sum(rates.values()),
    }
    assert sum(seen.values()) == n
    for outcome, p in expected.items():
        margin = Z_999 * math.sqrt(n * p * (1 - p))
        assert abs(seen[outcome] - n * p) <= margin, (outcome, seen[outcome], n * p)
    # The stand-in counted exactly what the clients saw.
    assert stats["processed"] == n
    assert stats["outcomes"]["error"] == seen["http 503"]
    assert stats["outcomes"]["rejected"] == seen["rejected"]


async def test_admin_changes_take_effect_at_once_and_bad_ones_change_nothing():
    async with VerifyMeNowStub() as stub, client_for(2, stub.url) as client:
        assert await classify(client, "a") == "approved"
        response = await admin(stub, "PUT", "/admin/config", json={"v2": {"error_rate": 1}})
        assert response.status_code == 200
        assert response.json()["v2"]["error_rate"] == 1.0
        assert await classify(client, "b") == "http 503"

        bad = await admin(stub, "PUT", "/admin/config", json={"v2": {"rejection_rate": 0.5}})
        assert bad.status_code == 400
        assert "add up to more than 1" in bad.json()["error"]
        not_json = await admin(stub, "PUT", "/admin/config", content=b"{")
        assert not_json.status_code == 400
        config = (await admin(stub, "GET", "/admin/config")).json()
        assert (config["v2"]["error_rate"], config["v2"]["rejection_rate"]) == (1.0, 0.0)

        await admin(stub, "PUT", "/admin/config", json={"v2": {"error_rate": 0}})
        assert await classify(client, "b") == "approved"  # same key: the 503 was not stored
        assert await classify(client, "c") == "approved"


@pytest.mark.parametrize("version", [1, 2])
async def test_the_same_idempotency_key_is_processed_once(version):
    async with VerifyMeNowStub() as stub, client_for(version, stub.url) as client:
        first = await client.verify(REQUEST, idempotency_key="camunda-1-2")
        again = await client.verify(REQUEST, idempotency_key="camunda-1-2")
        other = await client.verify(REQUEST, idempotency_key="camunda-1-3")
        stats = (await admin(stub, "GET", "/admin/stats")).json()[f"v{version}"]
    assert again.provider_reference == first.provider_reference
    assert other.provider_reference != first.provider_reference
    assert stats["keys"]["camunda-1-2"] == {"received": 2, "processed": 1, "stored": True}
    assert (stats["processed"], stats["replayed"]) == (2, 1)


async def test_a_call_that_timed_out_is_answered_from_the_record_when_retried():
    slow = StubConfig(v2=VersionBehaviour(latency_median_ms=300, latency_p95_ms=300))
    async with VerifyMeNowStub(slow) as stub:
        async with client_for(2, stub.url, timeout=0.05) as impatient:
            with pytest.raises(ProviderTimeoutError):
                await impatient.verify(REQUEST, idempotency_key="k")
        # The stand-in finished the work after the client gave up; wait until it recorded it.
        for _ in range(200):
            stats = (await admin(stub, "GET", "/admin/stats")).json()["v2"]
            if stats["keys"]["k"]["stored"]:
                break
            await asyncio.sleep(0.025)
        async with client_for(2, stub.url) as patient:
            result = await patient.verify(REQUEST, idempotency_key="k")
        stats = (await admin(stub, "GET", "/admin/stats")).json()["v2"]
    assert result.provider_reference.startswith("ver_")
    assert stats["keys"]["k"] == {"received": 2, "processed": 1, "stored": True}


async def test_a_duplicate_in_flight_is_a_transient_409():
    # The first request is held for 5 s so that the duplicate meets it in flight even on a
    # loaded machine (a 300 ms hold flaked at load average 12).
    held = StubConfig(v1=VersionBehaviour(latency_median_ms=5000, latency_p95_ms=5000))
    async with VerifyMeNowStub(held) as stub, client_for(1, stub.url, timeout=30) as client:
        first = asyncio.create_task(client.verify(REQUEST, idempotency_key="k"))
        for _ in range(2000):  # until the stand-in has the first request in hand
            if (await admin(stub, "GET", "/admin/stats")).json()["v1"]["calls"]:
                break
            await asyncio.sleep(0.01)
        with pytest.raises(ProviderStatusError) as caught:
            await client.verify(REQUEST, idempotency_key="k")
        assert (caught.value.status, caught.value.retry_after) == (409, 1.0)
        await first


@pytest.mark.parametrize(("version", "field"), [(1, "issuingCountry"),
                                                (2, "document.issuing_country")])  # fmt: skip
async def test_the_stand_ins_validation_reaches_the_client_as_an_invalid_request(version, field):
    bad = dataclasses.replace(REQUEST, document_country="XX")
    async with VerifyMeNowStub() as stub, client_for(version, stub.url) as client:
        with pytest.raises(InvalidRequestError) as caught:
            await client.verify(bad, idempotency_key="k")
    assert caught.value.status == (400 if version == 1 else 422)
    assert caught.value.field == field


async def test_an_api_key_is_checked_when_the_stand_in_has_one():
    async with VerifyMeNowStub(api_key="s3cret") as stub:
        async with client_for(2, stub.url) as anonymous:
            with pytest.raises(InvalidRequestError, match="VERIFYMENOW_API_KEY"):
                await anonymous.verify(REQUEST, idempotency_key="k")
        async with client_for(2, stub.url, api_key="s3cret") as authorised:
            await authorised.verify(REQUEST, idempotency_key="k")


async def test_reset_and_health_endpoints():
    async with VerifyMeNowStub() as stub, client_for(1, stub.url) as client:
        await client.verify(REQUEST, idempotency_key="k")
        assert (await admin(stub, "POST", "/admin/reset")).json() == {"reset": True}
        stats = (await admin(stub, "GET", "/admin/stats")).json()
        assert stats["v1"]["calls"] == 0
        assert (await admin(stub, "GET", "/health")).json() == {"status": "ok"}


# -- the command line ----------------------------------------------------------------------


async def test_the_command_serves_the_configured_stand_in_until_sigterm():
    arguments = ("--port", "0", "--seed", "5", "--v2-error-rate", "1",
                 "--v1-latency-median", "0", "--v1-latency-p95", "0")  # fmt: skip
    async with running_canary("stub-verifymenow", *arguments) as process:
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
            assert line.startswith(b"VerifyMeNow stand-in listening on http://127.0.0.1:")
            url = line.decode().split()[-1]
            async with httpx.AsyncClient(base_url=url) as http:
                config = (await http.get("/admin/config")).json()
            assert (config["v2"]["error_rate"], config["seed"]) == (1.0, 5)
            async with client_for(2, url) as v2, client_for(1, url) as v1:
                assert await classify(v2, "k") == "http 503"
                assert await classify(v1, "k") == "approved"
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, stderr
    assert b"verifymenow stand-in started" in stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--v1-error-rate", "1.5"], 2, "'1.5' is not a rate between 0 and 1"),
        (["--v2-latency-p95", "-3"], 2, "not a non-negative number of milliseconds"),
        (["--port", "70000"], 2, "not a port number"),
        (["--v1-error-rate", "0.6", "--v1-rejection-rate", "0.6"], 1,
         "canary: error: error, malformed, rejection and unreadable rates add up to more than 1"),
        (["--v1-latency-median", "300", "--v1-latency-p95", "100"], 1,
         "latency_p95_ms must not be below latency_median_ms"),
    ],
)  # fmt: skip
def test_bad_flags_fail_with_one_line(args, code, message, capsys):
    try:
        returned: object = main(["stub-verifymenow", "--port", "0", *args])
    except SystemExit as exit_:
        returned = exit_.code
    out, err = capsys.readouterr()
    assert returned == code
    assert message in err
    assert err.count("\n") == 1
    assert out == ""


async def test_a_port_in_use_is_a_one_line_error():
    async with VerifyMeNowStub() as stub:
        port = stub.url.rsplit(":", 1)[1]
        code, _, stderr = await canary("stub-verifymenow", "--port", port, timeout=20)
    assert code == 1
    assert stderr.startswith(f"canary: error: cannot listen on 127.0.0.1:{port}")
    assert stderr.count("\n") == 1
