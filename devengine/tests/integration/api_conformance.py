"""Conformance checks for the REST port: Camunda 8.9's OpenAPI spec and the official SDK's models.

The spec comes from the official Python SDK's source distribution, not from this repository:
`make api-spec` (scripts/ensure-api-spec, part of `make test`) places it in .tools/ from the
sdist of the SDK version in uv.lock. Its licence (Camunda License 1.0) allows distribution only
for non-production use with the licence attached, so we keep it out of our Apache-2.0 tree.
"""

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx
import jsonschema
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from zeebe_devengine import DevEngine

SPEC_PATH = Path(__file__).resolve().parents[3] / ".tools" / "camunda-api" / "rest-api.yaml"
_SPEC_URI = "urn:camunda-orchestration-cluster-api-8.9"
_BASE_PATH = "/v2"


class ApiSpec:
    """Camunda 8.9's Orchestration Cluster API: which statuses and bodies an operation answers."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4)
        )
        self._validator = _with_key_unions(spec)
        # Literal segments first, so `/process-instances/search` wins over `/{key}`.
        self._templates: list[tuple[re.Pattern[str], str]] = sorted(
            ((_template_pattern(path), path) for path in spec["paths"]),
            key=lambda entry: entry[1].count("{"),
        )

    def template(self, path: str) -> str | None:
        """The spec's path template that `path` (with or without /v2) falls under."""
        relative = path.removeprefix(_BASE_PATH)
        for pattern, template in self._templates:
            if pattern.fullmatch(relative):
                return template
        return None

    def operations(self) -> Iterator[tuple[str, str]]:
        """Every (METHOD, template) the spec defines."""
        for template, item in self.spec["paths"].items():
            for method in item:
                if method in {"get", "post", "put", "patch", "delete"}:
                    yield method.upper(), template

    def problems(
        self,
        method: str,
        path: str,
        status: int,
        content_type: str,
        body: Any,
        *,
        unlisted_status: bool = False,
    ) -> list[str]:
        """What is wrong with a response, by the spec; empty when it conforms.

        `unlisted_status`: accept an operation, or a status of one, that the spec does not
        list (and check nothing else then), for tests that assert their statuses themselves.
        """
        where = f"{method} {path} -> {status}"
        template = self.template(path)
        operation = None if template is None else self.spec["paths"][template].get(method.lower())
        if template is None or operation is None:
            return [] if unlisted_status else [f"{where}: the spec has no such operation"]
        responses = operation["responses"]
        key = str(status) if str(status) in responses else f"{status // 100}XX"
        if key not in responses:
            listed = f"{where}: the spec lists only {sorted(responses)} for {method} {template}"
            return [] if unlisted_status else [listed]
        content = responses[key].get("content", {})
        if not content:
            return [] if body is None else [f"{where}: the spec has no body here"]
        media = content_type.split(";", maxsplit=1)[0].strip()
        if media not in content:
            return [f"{where}: content type {media!r}, the spec says {sorted(content)}"]
        if "schema" not in content[media] or not media.endswith("json"):
            return []
        pointer = "/".join(
            _escape(part)
            for part in ("paths", template, method.lower(), "responses", key, "content", media)
        )
        return [f"{where}: {problem}" for problem in self._schema_problems(pointer, body)]

    def _schema_problems(self, pointer: str, body: Any) -> list[str]:
        validator = self._validator(
            {"$ref": f"{_SPEC_URI}#/{pointer}/schema"},
            registry=self._registry,
            format_checker=oas30_format_checker,
        )
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
            for error in validator.iter_errors(body)
        ]

    def check(self, response: httpx.Response, *, unlisted_status: bool = False) -> list[str]:
        """`problems` for an httpx response whose body has been read."""
        request = response.request
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = response.text
        return self.problems(
            request.method,
            urlsplit(str(request.url)).path,
            response.status_code,
            response.headers.get("content-type", ""),
            body,
            unlisted_status=unlisted_status,
        )


@functools.cache
def api_spec() -> ApiSpec:
    """The spec, parsed once per test session (about 1 s for its 1 MB of YAML)."""
    if not SPEC_PATH.exists():
        msg = f"{SPEC_PATH} is missing: run `make api-spec` (scripts/ensure-api-spec)"
        raise FileNotFoundError(msg)
    with SPEC_PATH.open("rb") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=yaml.CSafeLoader)
    return ApiSpec(spec)


def sdk_model_problems(value: Any, where: str = "response") -> list[str]:
    """Fields an SDK model did not know (unknown) or never received (missing).

    The generated models put unknown keys into `additional_properties` and leave absent
    optional ones UNSET; both mean the dev engine's JSON differs from the 8.9 schema. Models
    that are free-form maps (variables, custom headers) have no declared fields of their own.
    """
    from camunda_orchestration_sdk.types import Unset  # noqa: PLC0415 - seconds to import

    found: list[str] = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(sdk_model_problems(item, f"{where}[{index}]"))
        return found
    if not attrs.has(type(value)):
        return found
    declared = [
        field for field in attrs.fields(type(value)) if field.name != "additional_properties"
    ]
    extra = getattr(value, "additional_properties", {})
    if declared and extra:
        found.append(f"{where} ({type(value).__name__}): unknown fields {sorted(extra)}")
    for field in declared:
        child = getattr(value, field.name)
        if isinstance(child, Unset):
            found.append(f"{where}.{field.name} ({type(value).__name__}): missing")
        else:
            found.extend(sdk_model_problems(child, f"{where}.{field.name}"))
    return found


def _with_key_unions(spec: dict[str, Any]) -> Any:
    """OAS30Validator where a `oneOf` of structurally identical schemas counts as `anyOf`.

    The spec types some keys as unions of key kinds (a variable's `scopeKey` is an element
    instance or a process instance key; a deleted resource's key is one of four): every kind
    is the same digit string, so a value always matches all of them and a strict `oneOf` could
    never pass. Those are semantic unions; real alternatives keep `oneOf`'s meaning.
    """
    one_of = OAS30Validator.VALIDATORS["oneOf"]
    any_of = OAS30Validator.VALIDATORS["anyOf"]

    def shape(schema: dict[str, Any]) -> tuple[Any, Any]:
        resolved = resolve(spec, schema)
        return resolved.get("type"), resolved.get("pattern")

    def key_union(validator: Any, alternatives: Any, instance: Any, schema: Any) -> Any:
        shapes = {shape(alternative) for alternative in alternatives}
        [(kind, pattern)] = shapes if len(shapes) == 1 else [(None, None)]
        if kind == "string" and pattern is not None:
            return any_of(validator, alternatives, instance, schema)
        return one_of(validator, alternatives, instance, schema)

    return jsonschema.validators.extend(  # type: ignore[no-untyped-call]  # untyped upstream
        OAS30Validator, {"oneOf": key_union}
    )


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `$ref` (into #/components) followed."""
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def properties(spec: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The properties an object schema names, through `allOf`, `oneOf` and `anyOf`."""
    if schema is None:
        return {}
    schema = resolve(spec, schema)
    found = dict(schema.get("properties", {}))
    for combinator in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(combinator, []):
            found.update(properties(spec, part))
    return found


def request_schema(spec: dict[str, Any], method: str, template: str) -> dict[str, Any] | None:
    """The JSON request body schema of an operation, if it takes one."""
    body = spec["paths"][template][method.lower()].get("requestBody", {})
    media = body.get("content", {}).get("application/json")
    return None if media is None else resolve(spec, media["schema"])


def served_routes(dev: DevEngine) -> list[tuple[str, str]]:
    """(METHOD, the spec's path template) of every REST route the dev engine serves."""
    runner = dev._runner
    assert runner is not None, "the dev engine serves no REST"
    spec = api_spec()
    routes = []
    for route in runner.app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        path = route.resource.canonical
        sample = "/".join("1" if part.startswith("{") else part for part in path.split("/"))
        template = spec.template(sample)
        assert template is not None, f"{path} is not a path of the 8.9 spec"
        routes.append((route.method, template))
    return sorted(routes)
