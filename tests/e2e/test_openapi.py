"""The OpenAPI document is true: schemathesis sends documented and undocumented requests to a real gateway
(over HTTP, against the fake OpenAI upstream) and every answer must be a documented status, content type,
header set and body, never a 5xx. And the document lists every field of the field table."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.openapi import from_url

from imagegate.api.request_schemas import BODIES
from imagegate.app import create_app
from imagegate.config import Settings
from imagegate.fields import FieldTable
from imagegate.providers.registry import Registry
from imagegate.routing import field_table
from tests.fakes import extra_fields_provider
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, SINGLE_CHANNEL_ENV, Gateway, start_gateway, stop_gateway

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
AUTH = {"Authorization": f"Bearer {MASTER}"}
# Fuzzed cases per operation and mode (with the examples and coverage cases, about 30 s in all on two
# cores); set OPENAPI_FUZZ_EXAMPLES for a deeper run. Hypothesis: a fixed seed (derandomize), no example
# database, no shrinking (a failure is reported as it was found).
EXAMPLES = int(os.environ.get("OPENAPI_FUZZ_EXAMPLES", "25"))
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
# Every operation is tested. Not run: schemathesis' stateful phase, which chains operations by the links it
# infers; its one chain here (202 Location → GET/DELETE /v1/images/jobs/{id}) is
# test_an_async_job_answers_as_documented, and the job flows are tested in tests/e2e/jobs.


def _operations() -> list[tuple[str, str]]:
    """Every operation of the app's document."""
    doc = create_app(Settings(master_key=MASTER, data_dir=Path("unused"))).openapi()
    return [(method.upper(), path) for path, methods in doc["paths"].items() for method in methods]


@pytest.fixture(scope="module")
def fuzzed(upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway of its own: the generated requests create and revoke keys and reload the channels. Webhooks
    are on, so a generated ``webhook_url`` is checked as far as it can be."""
    env = {"OPENAI_API_KEY": upstream.api_key, "OPENAI_BASE_URL": upstream.base_url,
           "IMAGEGATE_UPSTREAM_TIMEOUT": "3", "IMAGEGATE_WEBHOOK_SECRET": "openapi-test", **SINGLE_CHANNEL_ENV}
    gw = start_gateway(tmp_path_factory.mktemp("openapi"), env)
    yield gw
    stop_gateway(gw)


@pytest.fixture(scope="module")
def api(fuzzed: Gateway) -> BaseSchema:
    return from_url(f"{fuzzed.url}/openapi.json")


class Findings:
    """The failures found, the first case of each kind (by phase and check) with a curl command to replay it."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def check(self, phase: str, case: Case) -> None:
        try:
            case.call_and_validate(checks=CHECKS, headers=AUTH)
        except (Failure, FailureGroup) as exc:
            for failure in exc.exceptions if isinstance(exc, FailureGroup) else [exc]:
                replay = case.as_curl_command(headers=AUTH)
                self.found.setdefault(f"{phase}: {failure.title}", f"{failure.message}\n    {replay[:600]}")


def _examples(operation: APIOperation, findings: Findings) -> None:
    """The documented examples: as they are (with the documented Prefer: respond-async, an async job) and
    without a Prefer header (the direct answer, JSON or a stream)."""
    for strategy in operation.get_strategies_from_examples():
        @settings(SETTINGS, max_examples=2)
        @given(case=strategy)
        def run(case: Case) -> None:
            findings.check("example", case)
            if case.headers and "prefer" in case.headers:
                del case.headers["prefer"]
                findings.check("example without Prefer", case)

        run()


def _coverage(api: BaseSchema, operation: APIOperation, findings: Findings) -> None:
    """Schemathesis' coverage cases, all of them: each bound, enum value, missing required value and wrong
    type, and the methods the path doesn't take."""
    for case in api.iter_coverage_cases(operation, generation_modes=MODES, generation_config=api.config.generation):
        findings.check("coverage", case)


def _fuzz(operation: APIOperation, mode: GenerationMode, findings: Findings) -> None:
    """Hypothesis-made cases of ``mode``."""
    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode, headers=AUTH))
    def run(case: Case) -> None:
        findings.check(f"{mode.value} fuzzing", case)

    try:
        run()
    except Unsatisfiable:  # no input of the operation can be invalid (only free strings)
        assert mode is GenerationMode.NEGATIVE, operation.label


def _can_be_invalid(operation: APIOperation) -> bool:
    """Whether a negative case can exist: a body or a query parameter (the paths' and the headers' other
    parameters are free strings); without one, hypothesis only searches until it gives up."""
    return bool(len(operation.body)) or bool(len(operation.query))


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: str(v))
def test_the_gateway_answers_as_documented(api: BaseSchema, method: str, path: str) -> None:
    operation = api[path][method]
    findings = Findings()
    _examples(operation, findings)
    _coverage(api, operation, findings)
    for mode in MODES if _can_be_invalid(operation) else MODES[:1]:
        _fuzz(operation, mode, findings)
    assert not findings.found, f"{operation.label}:\n" + "\n".join(f"{k}: {v}" for k, v in findings.found.items())


def _finished_job(http: httpx.Client, api: BaseSchema, location: str) -> dict[str, Any]:
    """Poll the job until it has finished, checking each answer against the document."""
    for _ in range(300):
        response = http.get(location)
        api["/v1/images/jobs/{job_id}"]["GET"].validate_response(response)
        job: dict[str, Any] = response.json()
        if job["status"] not in ("queued", "in_progress"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"the job at {location} did not finish")


@pytest.mark.parametrize("fails", [False, True])
def test_an_async_job_answers_as_documented(api: BaseSchema, fuzzed: Gateway, upstream: FakeOpenAI,
                                            fails: bool) -> None:
    """The flow the stateful phase would chain: 202 and its Location, the job until it has finished (with its
    result, or its error), then DELETE (a finished job is returned as it is)."""
    if fails:
        upstream.fail_next("status", status=500)
    with fuzzed.http() as http:
        accepted = http.post("/v1/images/generations", json={"prompt": "p"}, headers={"Prefer": "respond-async"})
        assert accepted.status_code == 202, accepted.text
        api["/v1/images/generations"]["POST"].validate_response(accepted)
        job = _finished_job(http, api, accepted.headers["Location"])
        assert job["status"] == ("failed" if fails else "succeeded") and ("error" if fails else "result") in job
        api["/v1/images/jobs/{job_id}"]["DELETE"].validate_response(http.delete(accepted.headers["Location"]))


def _document(gateway: Gateway) -> dict[str, Any]:
    with gateway.http(None) as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def _table() -> FieldTable:
    return field_table(Registry.load())


def test_every_field_of_the_table_is_documented(fuzzed: Gateway) -> None:
    doc = _document(fuzzed)
    table = _table()
    for name, body in BODIES.items():
        properties = doc["components"]["schemas"][name]["properties"]
        expected = table.for_endpoint(body.endpoint)
        assert expected <= set(properties), (name, sorted(expected - set(properties)))
        for field in expected:
            spec, documented = table.fields[field], properties[field]
            kinds = documented["type"] if isinstance(documented["type"], list) else [documented["type"]]
            assert {"str": "string", "int": "integer", "bool": "boolean"}[spec.kind] in kinds, field
            assert documented.get("minimum") == spec.low and documented.get("maximum") == spec.high, field
            assert [c for c in documented.get("enum", []) if c is not None] == list(spec.choices), field


def test_fields_of_provider_modules_are_documented(tmp_path: Path) -> None:
    """A field declared by a module named in provider_modules (loaded at start) is in the document too."""
    settings = Settings(master_key=MASTER, data_dir=tmp_path, provider_modules=["tests.fakes.extra_fields_provider"])
    schemas = create_app(settings).openapi()["components"]["schemas"]
    for name, body in BODIES.items():
        documented = schemas[name]["properties"].get(extra_fields_provider.FIELD.name)
        if body.endpoint not in extra_fields_provider.FIELD.endpoints:
            assert documented is None, name
            continue
        assert documented is not None, name
        assert (documented["minimum"], documented["maximum"]) == (1, 5)
        assert documented["description"] == "How much detail to add."


def test_each_image_route_refers_to_its_bodies(fuzzed: Gateway) -> None:
    paths = _document(fuzzed)["paths"]
    refs = {path.rsplit("/", 1)[1]: {media: content["schema"]["$ref"].rsplit("/", 1)[1]
                                     for media, content in op["post"]["requestBody"]["content"].items()}
            for path, op in paths.items() if path.startswith("/v1/images/") and "post" in op}
    assert refs == {
        "generations": {"application/json": "CreateImageRequest"},
        "edits": {"multipart/form-data": "CreateImageEditRequest", "application/json": "CreateImageEditJsonRequest"},
        "variations": {"multipart/form-data": "CreateImageVariationRequest"},
    }
    for name, body in BODIES.items():
        assert refs[body.endpoint][body.media_type] == name


def test_metrics_and_errors_are_documented_as_they_are_sent(fuzzed: Gateway) -> None:
    paths = _document(fuzzed)["paths"]
    assert list(paths["/metrics"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
    with httpx.Client(base_url=fuzzed.url, headers={"Authorization": f"Bearer {MASTER}"}) as http:
        assert http.get("/metrics").headers["content-type"].startswith("text/plain")
    for path, methods in paths.items():
        for method, op in methods.items():
            assert "422" not in op["responses"], (method, path)
            for status, response in op["responses"].items():
                assert "x-request-id" in response["headers"], (method, path, status)
                if int(status) >= 400:
                    assert response["content"] == {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def test_image_routes_document_streams_async_jobs_and_headers(fuzzed: Gateway) -> None:
    paths = _document(fuzzed)["paths"]
    for route, streams in (("generations", True), ("edits", True), ("variations", False)):
        op = paths[f"/v1/images/{route}"]["post"]
        ok = op["responses"]["200"]
        assert ("text/event-stream" in ok["content"]) is streams and "x-imagegate-cost" in ok["headers"]
        assert op["responses"]["202"]["headers"]["Location"]["required"] is True
        headers = {p["name"]: p["schema"] for p in op["parameters"] if p["in"] == "header"}
        assert headers["Idempotency-Key"]["maxLength"] == 255 and "respond-async" in headers["prefer"]["examples"]

