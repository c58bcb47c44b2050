"""Gemini on Vertex AI: a service account's OAuth2 tokens (fetched once, shared, refreshed when refused), the
express mode's key, Vertex-only output options, channel-aware choice, and a deprecated alias."""

from __future__ import annotations

import base64
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import openai
from PIL import Image

from tests.e2e.gemini.conftest import PROJECT
from tests.e2e.helpers import api_error, decode, raised
from tests.fakes.gemini_requests import error_body
from tests.fakes.gemini_upstream import FakeGemini, FakeVertex

PATH = f"/v1/projects/{PROJECT}/locations/global/publishers/google/models/gemini-3-pro-image:generateContent"


def test_a_service_account_s_token_is_fetched_once_and_sent(vertex_client: openai.OpenAI, vertex: FakeVertex,
                                                            gemini: FakeGemini) -> None:
    for _ in range(2):
        vertex_client.images.generate(model="gemini-3-pro-image", prompt="p")
    assert [r.path for r in vertex.requests] == [PATH, PATH] and gemini.requests == []
    assert vertex.issuer.issued == 1
    assert all(r.headers["authorization"].startswith("Bearer ") for r in vertex.requests)
    assert "x-goog-api-key" not in vertex.last.headers


def test_a_refused_token_is_refreshed_once_for_every_call_waiting(vertex_client: openai.OpenAI,
                                                                 vertex: FakeVertex) -> None:
    vertex_client.images.generate(model="gemini-3-pro-image", prompt="p")
    vertex.issuer.expire_all()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: vertex_client.images.generate(model="gemini-3-pro-image", prompt="p"),
                                range(4)))
    assert all(len(r.data) == 1 for r in results)
    assert vertex.issuer.issued == 2  # the first token, and one refresh shared by the calls it refused


def test_output_format_and_compression_go_to_vertex_only(vertex_client: openai.OpenAI, vertex: FakeVertex,
                                                         gemini: FakeGemini) -> None:
    result = vertex_client.images.generate(model="gemini-3-pro-image", prompt="p", output_format="jpeg",
                                           output_compression=70)
    options = (vertex.last.json or {})["generationConfig"]["imageConfig"]["imageOutputOptions"]
    assert options == {"mimeType": "image/jpeg", "compressionQuality": 70}
    assert Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json or ""))).format == "JPEG"
    vertex.fail_next("internal", count=3)
    failure = raised(lambda: vertex_client.images.generate(model="gemini-3-pro-image", prompt="p",
                                                           output_format="jpeg"))
    api_error(failure, 502, param=None, code="upstream_error")
    assert gemini.requests == []  # the Gemini API can't take output_format: never a 400 from it
    vertex.fail_next("internal", count=3)
    assert len(vertex_client.images.generate(model="gemini-3-pro-image", prompt="p").data) == 1
    assert len(gemini.requests) == 1  # without output_format, the Gemini API takes over


def test_express_mode_sends_the_key_in_a_header(vertex_client: openai.OpenAI, vertex: FakeVertex) -> None:
    result = vertex_client.images.generate(model="gemini-3.1-flash-image", prompt="p", size="1024x1024")
    assert decode(result.data[0].b64_json).size == (1024, 1024)
    assert vertex.last.path == "/v1/publishers/google/models/gemini-3.1-flash-image:generateContent"
    assert vertex.last.headers["x-goog-api-key"] == vertex.express_key and not vertex.last.query


def test_a_project_id_in_an_upstream_message_is_scrubbed(vertex_client: openai.OpenAI, vertex: FakeVertex) -> None:
    vertex.fail_next("status", status=400, body=error_body(400, f"Bad request for projects/{PROJECT}/locations/x"))
    failure = raised(lambda: vertex_client.images.generate(model="gemini-3-pro-image", prompt="p"))
    api_error(failure, 400, param=None, code="invalid_value", hidden=(PROJECT,))


def test_a_deprecated_alias_names_its_successor(vertex_client: openai.OpenAI, vertex: FakeVertex) -> None:
    raw = vertex_client.images.with_raw_response.generate(model="imagen-4.0-ultra-generate-001", prompt="p")
    assert raw.headers["x-imagegate-model"] == "gemini-3-pro-image"
    stamp = int(datetime(2026, 8, 17, tzinfo=UTC).timestamp())
    assert raw.headers["deprecation"] == f"@{stamp}"
    assert vertex.last.path == PATH
