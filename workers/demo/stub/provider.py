"""The stand-in's behaviour, without the HTTP server: one verification request in, one answer out.

Order of work for ``POST /v1/identity/check`` and ``POST /v2/verifications``:

1. count the call; check the bearer token when the stand-in has an API key (401);
2. parse and validate the body (v1: 400 ``{"status": "ERROR", "code", "field"}``; v2: 422
   problem+json ``{"code", "field", ...}``, or 400 ``malformed_json`` for a body that is not
   JSON);
3. idempotency: v2 requires an ``Idempotency-Key`` (v1 accepts requests without one). A key
   with a stored answer gets that answer back without processing (``Idempotent-Replayed:
   true``); the same key with a different body gets 422 ``idempotency_key_reused``; a key
   whose first request is still being processed gets 409 with Retry-After;
4. process: draw the outcome and the latency from the version's seeded generator (in arrival
   order, so a seeded sequential run is reproducible), wait, answer. Only decisions
   (approved, rejected, unreadable) are stored under the key: a 503 or a malformed answer was
   a failure of the provider, and a retry must get a fresh chance.
"""

import asyncio
import hashlib
import hmac
import json
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from workers.demo.stub.config import StubConfig
from workers.demo.stub.validation import validate_v1, validate_v2

IDEMPOTENCY_HEADER = "Idempotency-Key"


class StubOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    UNREADABLE = "unreadable"
    ERROR = "error"
    MALFORMED = "malformed"


STORED_OUTCOMES = frozenset({StubOutcome.APPROVED, StubOutcome.REJECTED, StubOutcome.UNREADABLE})


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class KeyRecord:
    fingerprint: str
    answer: Answer | None = None
    in_flight: bool = False
    received: int = 0
    processed: int = 0


@dataclass(slots=True)
class VersionState:
    rng: random.Random
    counts: Counter[str] = field(default_factory=Counter)
    keys: dict[str, KeyRecord] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        outcomes = {o.value: self.counts[f"outcome:{o.value}"] for o in StubOutcome}
        names = ("calls", "processed", "replayed", "conflicts", "invalid", "unauthorized")
        return {
            **{name: self.counts[name] for name in names},
            "outcomes": outcomes,
            "keys": {
                key: {
                    "received": rec.received,
                    "processed": rec.processed,
                    "stored": rec.answer is not None,
                }
                for key, rec in self.keys.items()
            },
        }


def _json(status: int, body: Any, **headers: str) -> Answer:
    return Answer(status, json.dumps(body).encode(), headers=headers)


def _problem(status: int, code: str, title: str, field_name: str | None = None) -> Answer:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "code": code}
    if field_name is not None:
        body["field"] = field_name
    return Answer(status, json.dumps(body).encode(), content_type="application/problem+json")


class StandInProvider:
    """Both API versions' behaviour, the admin operations, and the counters."""

    def __init__(self, config: StubConfig, *, api_key: str | None = None) -> None:
        self._config = config
        self._api_key = api_key
        self._versions = {v: VersionState(self._new_rng(v)) for v in (1, 2)}

    # -- admin -------------------------------------------------------------------------------

    @property
    def config(self) -> StubConfig:
        return self._config

    def update_config(self, changes: Any) -> StubConfig:
        """Apply a partial update (raises `StubConfigError`); a new seed restarts the draws."""
        new = self._config.updated(changes)
        reseed = isinstance(changes, Mapping) and "seed" in changes
        self._config = new
        if reseed:
            for version, state in self._versions.items():
                state.rng = self._new_rng(version)
        return new

    def reset(self) -> None:
        """Forget counters and stored answers; restart the seeded draws."""
        self._versions = {v: VersionState(self._new_rng(v)) for v in (1, 2)}

    def stats(self) -> dict[str, Any]:
        return {f"v{v}": state.as_json() for v, state in self._versions.items()}

    def _new_rng(self, version: int) -> random.Random:
        seed = self._config.seed
        # One generator per version: v1 traffic never shifts v2's sequence.
        return random.Random(None if seed is None else f"{seed}:{version}")

    # -- verification ------------------------------------------------------------------------

    async def verify(self, version: int, headers: Mapping[str, str], raw: bytes) -> Answer:
        state = self._versions[version]
        state.counts["calls"] += 1
        admitted = self._admit(version, state, headers, raw)
        if isinstance(admitted, Answer):
            return admitted
        key = headers.get(IDEMPOTENCY_HEADER)
        if key:
            return await self._verify_once(version, state, key, admitted)
        if version == 2:
            state.counts["invalid"] += 1
            return self._error(2, 400, "idempotency_key_required", "Idempotency-Key needed")
        return await self._process(version, state, None)

    def _admit(
        self, version: int, state: VersionState, headers: Mapping[str, str], raw: bytes
    ) -> Any:
        """The parsed body of an authorised, valid request, or the error answer."""
        if self._api_key is not None and not self._authorised(headers):
            state.counts["unauthorized"] += 1
            return self._error(version, 401, "unauthorized", "Missing or wrong API key")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # nested too deeply is not JSON we take either
            state.counts["invalid"] += 1
            return self._error(version, 400, "malformed_json", "Body is not JSON")
        problem = validate_v1(body) if version == 1 else validate_v2(body)
        if problem is not None:
            state.counts["invalid"] += 1
            code, field_name = problem
            return self._error(version, 400 if version == 1 else 422, code, "Invalid", field_name)
        return body

    async def _verify_once(self, version: int, state: VersionState, key: str, body: Any) -> Answer:
        fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        record = state.keys.setdefault(key, KeyRecord(fingerprint))
        record.received += 1
        if record.fingerprint != fingerprint:
            state.counts["invalid"] += 1
            return self._error(version, 422, "idempotency_key_reused", "Key used for another body")
        if record.answer is not None:
            state.counts["replayed"] += 1
            answer = record.answer
            return Answer(
                answer.status,
                answer.body,
                answer.content_type,
                {**answer.headers, "Idempotent-Replayed": "true"},
            )
        if record.in_flight:
            state.counts["conflicts"] += 1
            return self._error(version, 409, "request_in_progress", "Retry later", retry=True)
        record.in_flight = True
        try:
            return await self._process(version, state, record)
        finally:
            record.in_flight = False

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        given = headers.get("Authorization", "")
        expected = f"Bearer {self._api_key}"
        return hmac.compare_digest(given.encode(), expected.encode())

    async def _process(self, version: int, state: VersionState, record: KeyRecord | None) -> Answer:
        behaviour = self._config.behaviour(version)
        rng = state.rng
        draw = rng.random()
        edges = (
            (behaviour.error_rate, StubOutcome.ERROR),
            (behaviour.malformed_rate, StubOutcome.MALFORMED),
            (behaviour.rejection_rate, StubOutcome.REJECTED),
            (behaviour.unreadable_rate, StubOutcome.UNREADABLE),
        )
        outcome, edge = StubOutcome.APPROVED, 0.0
        for rate, candidate in edges:
            edge += rate
            if draw < edge:
                outcome = candidate
                break
        answer = _answer(version, outcome, rng)
        delay = behaviour.latency_seconds(rng)
        state.counts["processed"] += 1
        state.counts[f"outcome:{outcome.value}"] += 1
        if record is not None:
            record.processed += 1
        if delay > 0:
            await asyncio.sleep(delay)
        if record is not None and outcome in STORED_OUTCOMES:
            record.answer = answer
        return answer

    def _error(
        self,
        version: int,
        status: int,
        code: str,
        title: str,
        field_name: str | None = None,
        *,
        retry: bool = False,
    ) -> Answer:
        headers = {"Retry-After": "1"} if retry else {}
        if version == 1:
            body: dict[str, Any] = {"status": "ERROR", "code": code.upper()}
            if field_name is not None:
                body["field"] = field_name
            return _json(status, body, **headers)
        answer = _problem(status, code, title, field_name)
        return Answer(answer.status, answer.body, answer.content_type, headers)


_V1_ANSWERS = {
    StubOutcome.APPROVED: ("OK", "VERIFIED"),
    StubOutcome.REJECTED: ("KO", "REJECTED"),
    StubOutcome.UNREADABLE: ("KO", "DOC_UNREADABLE"),
}
_V2_ANSWERS = {
    StubOutcome.APPROVED: ("approved", []),
    StubOutcome.REJECTED: ("rejected", ["identity_mismatch"]),
    # A review about the document: the client maps it to DOCUMENT_UNREADABLE.
    StubOutcome.UNREADABLE: ("review", ["document_glare"]),
}


def _answer(version: int, outcome: StubOutcome, rng: random.Random) -> Answer:
    if outcome is StubOutcome.ERROR:
        if version == 1:
            return _json(503, {"status": "ERROR", "code": "UNAVAILABLE"})
        return _problem(503, "unavailable", "Service Unavailable")
    if outcome is StubOutcome.MALFORMED:
        if rng.random() < 0.5:
            return Answer(200, b"<html><body>upstream error</body></html>", "text/html")
        return _json(200, {"result": "maybe"})
    reference = f"{rng.getrandbits(48):012x}"
    if version == 1:
        status, code = _V1_ANSWERS[outcome]
        return _json(200, {"status": status, "code": code, "checkId": f"chk_{reference}"})
    decision, reasons = _V2_ANSWERS[outcome]
    return _json(201, {"id": f"ver_{reference}", "decision": decision, "reasons": reasons})
