"""The fake Gemini API, Vertex AI and Google OAuth upstreams behave as Google documents (plain HTTP with httpx)."""

from __future__ import annotations

import base64
import io
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from PIL import Image

from tests.fakes.gemini_answers import LEAKED_KEY, LEAKED_PROJECT
from tests.fakes.gemini_models import MODELS
from tests.fakes.gemini_upstream import GEMINI_KEY, VERTEX_KEY, FakeGemini, FakeVertex
from tests.fakes.google_oauth import CLOUD_PLATFORM, GOOGLE_TOKEN_URI, JWT_BEARER, rsa_key, sign_assertion

KEY_SHAPE = re.compile(r"AIza[0-9A-Za-z_-]{35}")
PROJECT = "imagegate-test-project"


@pytest.fixture(scope="module")
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture(scope="module")
def vertex() -> Iterator[FakeVertex]:
    with FakeVertex() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> None:
    for name in ("gemini", "vertex"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


def body(prompt: str = "a lighthouse", *, images: list[bytes] | None = None, **image_config: Any) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": prompt}]
    parts += [{"inlineData": {"mimeType": "image/png", "data": base64.b64encode(img).decode()}} for img in images or []]
    config: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
    if image_config:
        config["imageConfig"] = image_config
    return {"contents": [{"role": "user", "parts": parts}], "generationConfig": config}


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(buf, "PNG")
    return buf.getvalue()


def call(fake: FakeGemini, model: str, payload: Any, *, key: str | None = GEMINI_KEY,
         query: str = "") -> httpx.Response:
    headers = {"x-goog-api-key": key} if key is not None else {}
    return httpx.post(f"{fake.base_url}/models/{model}:generateContent{query}", json=payload, headers=headers,
                      timeout=30)


def vcall(fake: FakeVertex, model: str, payload: Any, *, token: str | None = None, key: str | None = None,
          project: str = PROJECT, location: str = "global", version: str = "v1") -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if key:
        headers["x-goog-api-key"] = key
    scope = f"projects/{project}/locations/{location}/" if project else ""
    return httpx.post(f"{fake.origin}/{version}/{scope}publishers/google/models/{model}:generateContent",
                      json=payload, headers=headers, timeout=30)


def credentials(path: Path, scopes: list[str] | None = None) -> service_account.Credentials:
    """google-auth's service-account credentials read from the key file (its own loader is untyped)."""
    return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        str(path), scopes=scopes or [CLOUD_PLATFORM])


def images_of(response: httpx.Response) -> list[Image.Image]:
    parts = response.json()["candidates"][0]["content"].get("parts", [])
    return [Image.open(io.BytesIO(base64.b64decode(p["inlineData"]["data"]))) for p in parts if "inlineData" in p]


def test_model_table_matches_the_documented_sizes_and_tokens() -> None:
    assert MODELS["gemini-2.5-flash-image"].pixels("21:9", None) == (1536, 672)
    assert MODELS["gemini-3-pro-image"].pixels("2:3", "4K") == (3392, 5056)
    assert MODELS["gemini-3.1-flash-image"].pixels("8:1", "4K") == (12288, 1536)
    assert MODELS["gemini-3.1-flash-image"].pixels("9:16", "512") == (384, 688)
    assert [MODELS["gemini-3-pro-image"].tokens(s) for s in ("1K", "2K", "4K")] == [1120, 1120, 2000]
    assert [MODELS["gemini-3.1-flash-image"].tokens(s) for s in ("512", "1K", "2K", "4K")] == [747, 1120, 1680, 2520]
    assert KEY_SHAPE.fullmatch(LEAKED_KEY) and KEY_SHAPE.fullmatch(GEMINI_KEY)


def test_gemini_answers_an_image_of_the_documented_size_with_usage(gemini: FakeGemini) -> None:
    gemini.reply_text = "Here you go."
    response = call(gemini, "gemini-3.1-flash-image", body(aspectRatio="4:1", imageSize="512"))
    assert response.status_code == 200, response.text
    answer = response.json()
    parts = answer["candidates"][0]["content"]["parts"]
    assert parts[0] == {"text": "Here you go."} and parts[1]["inlineData"]["mimeType"] == "image/png"
    assert "thoughtSignature" in parts[1] and answer["candidates"][0]["finishReason"] == "STOP"
    assert [img.size for img in images_of(response)] == [(1024, 256)]
    usage = answer["usageMetadata"]
    assert {"modality": "IMAGE", "tokenCount": 747} in usage["candidatesTokensDetails"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"] + \
        usage["thoughtsTokenCount"]
    assert answer["modelVersion"] == "gemini-3.1-flash-image" and "createTime" not in answer
    assert gemini.last.headers["x-goog-api-key"] == GEMINI_KEY and gemini.last.query == {}
    assert gemini.last.json["generationConfig"]["imageConfig"] == {"aspectRatio": "4:1", "imageSize": "512"}


def test_an_edit_without_a_ratio_keeps_the_input_shape_and_counts_input_tokens(gemini: FakeGemini) -> None:
    payload = body("make it night", images=[png(600, 400)])
    payload["contents"][0]["parts"][1] = {"inline_data": payload["contents"][0]["parts"][1]["inlineData"]}
    payload["generation_config"] = {"response_modalities": ["IMAGE"]}  # proto field names are accepted too
    del payload["generationConfig"]
    response = call(gemini, "gemini-2.5-flash-image", payload)
    assert response.status_code == 200, response.text
    assert [img.size for img in images_of(response)] == [(1248, 832)]
    usage = response.json()["usageMetadata"]
    assert {"modality": "IMAGE", "tokenCount": 258} in usage["promptTokensDetails"]
    assert usage["candidatesTokensDetails"] == [{"modality": "IMAGE", "tokenCount": 1290}]
    assert "thoughtsTokenCount" not in usage


@pytest.mark.parametrize(("key", "query", "status", "needle"), [
    (GEMINI_KEY, f"?key={GEMINI_KEY}", 400, "query string"),
    (None, "", 403, "unregistered callers"),
    ("AIzaSyWrongWrongWrongWrongWrongWrong0000", "", 400, "API key not valid"),
])
def test_gemini_takes_the_key_only_from_its_header(gemini: FakeGemini, key: str | None, query: str, status: int,
                                                   needle: str) -> None:
    response = call(gemini, "gemini-3-pro-image", body(), key=key, query=query)
    assert response.status_code == status and needle in response.json()["error"]["message"]


@pytest.mark.parametrize(("model", "payload", "needle"), [
    ("gemini-3-pro-image", body(imageOutputOptions={"mimeType": "image/jpeg"}), 'Unknown name "imageOutputOptions"'),
    ("gemini-3-pro-image", body(outputMimeType="image/jpeg"), 'Unknown name "outputMimeType"'),
    ("gemini-3-pro-image", body(personGeneration="ALLOW_ADULT"), 'Unknown name "personGeneration"'),
    ("gemini-3-pro-image", body(imageSize="1k"), "Unsupported image size"),
    ("gemini-3-pro-image", body(imageSize="512"), "Unsupported image size"),
    ("gemini-3-pro-image", body(aspectRatio="4:1"), "Unsupported aspect ratio"),
    ("gemini-2.5-flash-image", body(imageSize="1K"), "not supported"),
    ("gemini-3.1-flash-lite-image", body(imageSize="2K"), "Unsupported image size"),
    ("gemini-2.5-flash-image", body(images=[png(8, 8)] * 4), "at most 3"),
    ("gemini-3.1-flash-image", body(images=[png(8, 8)] * 15), "at most 14"),
    ("gemini-3-pro-image", {"contents": []}, "contents is not specified"),
    ("gemini-3-pro-image", {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "@@"}}]}]},
     "Base64 decoding failed"),
    ("gemini-3-pro-image", {"contents": [{"parts": [{"inlineData": {"mimeType": "image/gif", "data": "AAAA"}}]}]},
     "Unsupported MIME type"),
    ("gemini-3-pro-image", {"contents": [{"parts": [{}]}]}, "oneof field 'data'"),
    ("gemini-3-pro-image", {**body(), "generationConfig": {"responseModalities": ["image"]}}, "Invalid value"),
    ("gemini-3-pro-image", {**body(), "generationConfig": {"candidateCount": 2}}, "Multiple candidates"),
])
def test_gemini_refuses_what_google_refuses(gemini: FakeGemini, model: str, payload: dict[str, Any],
                                            needle: str) -> None:
    response = call(gemini, model, payload)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and needle in error["message"]


def test_gemini_unknown_model_and_method(gemini: FakeGemini) -> None:
    response = call(gemini, "gemini-9-image", body())
    assert response.status_code == 404 and response.json()["error"]["status"] == "NOT_FOUND"
    assert httpx.post(f"{gemini.base_url}/models/gemini-3-pro-image:predict", json=body(),
                      headers={"x-goog-api-key": GEMINI_KEY}).status_code == 404


@pytest.mark.parametrize(("kind", "status", "name"), [
    ("invalid", 400, "INVALID_ARGUMENT"), ("unauthenticated", 401, "UNAUTHENTICATED"),
    ("permission", 403, "PERMISSION_DENIED"), ("rate_limit", 429, "RESOURCE_EXHAUSTED"),
    ("internal", 500, "INTERNAL"), ("unavailable", 503, "UNAVAILABLE"), ("deadline", 504, "DEADLINE_EXCEEDED"),
])
def test_error_faults_use_googles_envelope(gemini: FakeGemini, kind: Any, status: int, name: str) -> None:
    gemini.fail_next(kind)
    response = call(gemini, "gemini-3-pro-image", body())
    error = response.json()["error"]
    assert response.status_code == status and error["code"] == status and error["status"] == name
    assert call(gemini, "gemini-3-pro-image", body()).status_code == 200  # one fault, then normal


def test_a_429_says_when_to_retry_in_the_body_not_a_header(gemini: FakeGemini) -> None:
    gemini.fail_next("rate_limit", retry_delay=2.5)
    response = call(gemini, "gemini-3-pro-image", body())
    assert "retry-after" not in response.headers
    details = {d["@type"].rsplit(".", 1)[1]: d for d in response.json()["error"]["details"]}
    assert details["RetryInfo"]["retryDelay"] == "2.5s" and "QuotaFailure" in details
    gemini.fail_next("rate_limit", headers={"Retry-After": "3"})
    assert call(gemini, "gemini-3-pro-image", body()).headers["retry-after"] == "3"


def test_error_messages_carry_secrets_to_scrub(gemini: FakeGemini, vertex: FakeVertex) -> None:
    gemini.fail_next("permission")
    assert LEAKED_KEY in call(gemini, "gemini-3-pro-image", body()).text
    vertex.fail_next("permission")
    assert LEAKED_PROJECT in vcall(vertex, "gemini-3-pro-image", body(), key=VERTEX_KEY).text


def test_a_blocked_prompt_has_feedback_and_no_candidates(gemini: FakeGemini) -> None:
    gemini.fail_next("blocked", reason="SAFETY")
    answer = call(gemini, "gemini-3-pro-image", body()).json()
    assert answer["promptFeedback"] == {"blockReason": "SAFETY"} and "candidates" not in answer
    assert answer["usageMetadata"]["promptTokenCount"] > 0


@pytest.mark.parametrize("reason", ["IMAGE_SAFETY", "SAFETY", "PROHIBITED_CONTENT", "NO_IMAGE", "IMAGE_OTHER"])
def test_a_filtered_candidate_has_its_finish_reason_and_no_image(gemini: FakeGemini, reason: str) -> None:
    gemini.fail_next("finish", reason=reason)
    response = call(gemini, "gemini-3.1-flash-image", body())
    candidate = response.json()["candidates"][0]
    assert response.status_code == 200 and candidate["finishReason"] == reason and images_of(response) == []


def test_text_only_and_malformed_answers(gemini: FakeGemini) -> None:
    gemini.fail_next("text_only")
    response = call(gemini, "gemini-3-pro-image", body())
    assert images_of(response) == [] and response.json()["candidates"][0]["content"]["parts"][0]["text"]
    gemini.fail_next("bad_json")
    with pytest.raises(ValueError):
        call(gemini, "gemini-3-pro-image", body()).json()


def test_a_hang_answers_late_and_is_cut_short_when_the_fake_stops() -> None:
    with FakeGemini() as fake:
        fake.fail_next("hang", delay=0.3)
        started = time.monotonic()
        assert call(fake, "gemini-3-pro-image", body()).status_code == 200
        assert time.monotonic() - started >= 0.3
        fake.fail_next("hang")  # 30 s unless the fake stops
        outcome: list[float] = []

        def hung_call() -> None:
            call(fake, "gemini-3-pro-image", body())
            outcome.append(time.monotonic())

        thread = threading.Thread(target=hung_call)
        thread.start()
        time.sleep(0.3)
        stopping = time.monotonic()
    thread.join(10)
    assert outcome and outcome[0] - stopping < 5


def test_vertex_express_key_jpeg_output_and_both_api_versions(vertex: FakeVertex) -> None:
    payload = body(aspectRatio="16:9", imageSize="1K", imageOutputOptions={"mimeType": "image/jpeg",
                                                                           "compressionQuality": 80})
    response = vcall(vertex, "gemini-3-pro-image", payload, key=VERTEX_KEY, version="v1beta1")
    assert response.status_code == 200, response.text
    part = response.json()["candidates"][0]["content"]["parts"][-1]
    assert part["inlineData"]["mimeType"] == "image/jpeg"
    assert [(img.format, img.size) for img in images_of(response)] == [("JPEG", (1376, 768))]
    assert response.json()["usageMetadata"]["trafficType"] == "ON_DEMAND" and "createTime" in response.json()
    express = vcall(vertex, "gemini-2.5-flash-image", body(), key=VERTEX_KEY, project="")
    assert express.status_code == 200 and vertex.last.path == "/v1/publishers/google/models/" \
        "gemini-2.5-flash-image:generateContent"


@pytest.mark.parametrize(("kwargs", "status", "needle"), [
    ({}, 401, "missing required authentication"),
    ({"token": "ya29.never-issued"}, 401, "invalid authentication"),
    ({"key": "AQ.wrong"}, 400, "API key not valid"),
    ({"key": VERTEX_KEY, "project": "someone-else"}, 403, "someone-else"),
    ({"key": VERTEX_KEY, "location": "us-central1"}, 404, "was not found"),
    ({"key": VERTEX_KEY, "version": "v2"}, 404, "not served"),
])
def test_vertex_refuses_bad_credentials_projects_and_locations(vertex: FakeVertex, kwargs: dict[str, str],
                                                               status: int, needle: str) -> None:
    response = vcall(vertex, "gemini-3.1-flash-image", body(), **kwargs)
    assert response.status_code == status and needle in response.json()["error"]["message"]


def test_vertex_requires_a_role_and_checks_output_options(vertex: FakeVertex) -> None:
    no_role = {"contents": [{"parts": [{"text": "x"}]}]}
    assert "valid role" in vcall(vertex, "gemini-3-pro-image", no_role, key=VERTEX_KEY).json()["error"]["message"]
    webp = body(imageOutputOptions={"mimeType": "image/webp"})
    assert vcall(vertex, "gemini-3-pro-image", webp, key=VERTEX_KEY).status_code == 400
    sdk_spelling = body(outputMimeType="image/jpeg")  # the SDK field name is not the wire name
    assert vcall(vertex, "gemini-3-pro-image", sdk_spelling, key=VERTEX_KEY).status_code == 400
    assert vcall(vertex, "gemini-3-pro-image", body(personGeneration="ALLOW_ADULT"), key=VERTEX_KEY).status_code == 200


def test_google_auth_gets_a_token_from_the_fake_and_vertex_accepts_it(vertex: FakeVertex, tmp_path: Path) -> None:
    account = vertex.service_account(tmp_path)
    creds = credentials(account.path)
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token and vertex.issuer.issued == 1
    form = vertex.issuer.requests[-1]
    assert form["grant_type"] == JWT_BEARER and form["assertion"].count(".") == 2
    response = vcall(vertex, "gemini-3-pro-image", body(), token=creds.token)
    assert response.status_code == 200, response.text
    assert vertex.last.headers["authorization"] == f"Bearer {creds.token}"


def test_expired_tokens_are_refused_until_refreshed(tmp_path: Path) -> None:
    with FakeVertex(token_expires_in=1) as fake:
        account = fake.service_account(tmp_path)
        creds = credentials(account.path)
        request = google.auth.transport.requests.Request()
        creds.refresh(request)
        first = creds.token
        assert vcall(fake, "gemini-3-pro-image", body(), token=first).status_code == 200
        time.sleep(1.05)
        expired = vcall(fake, "gemini-3-pro-image", body(), token=first)
        assert expired.status_code == 401
        assert expired.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
        creds.refresh(request)
        assert creds.token != first and fake.issuer.issued == 2
        assert vcall(fake, "gemini-3-pro-image", body(), token=creds.token).status_code == 200
        fake.issuer.expire_all()
        assert vcall(fake, "gemini-3-pro-image", body(), token=creds.token).status_code == 401


def test_the_token_endpoint_refuses_bad_assertions(vertex: FakeVertex, tmp_path: Path) -> None:
    account = vertex.service_account(tmp_path)
    wrong_scope = credentials(account.path, ["https://www.googleapis.com/auth/userinfo.email"])
    with pytest.raises(RefreshError, match="invalid_scope"):
        wrong_scope.refresh(google.auth.transport.requests.Request())
    now = int(time.time())
    good = {"iss": account.client_email, "aud": GOOGLE_TOKEN_URI, "scope": CLOUD_PLATFORM, "iat": now,
            "exp": now + 3600}
    cases = [(rsa_key(1), good, "Invalid JWT Signature"),  # signed by another key
             (rsa_key(0), {**good, "aud": "https://example.com/token"}, "audience"),
             (rsa_key(0), {**good, "iat": now - 7200, "exp": now - 3600}, "short-lived"),
             (rsa_key(0), {**good, "iss": "nobody@example.iam.gserviceaccount.com"}, "not found")]
    for key, claims, needle in cases:
        answer = httpx.post(vertex.token_uri, data={"grant_type": JWT_BEARER,
                                                    "assertion": sign_assertion(key, claims)})
        assert answer.status_code in (400, 401) and needle in answer.json()["error_description"]
    local = httpx.post(vertex.token_uri, data={"grant_type": JWT_BEARER, "assertion": sign_assertion(
        rsa_key(0), {**good, "aud": vertex.token_uri})})
    assert local.status_code == 200 and local.json()["token_type"] == "Bearer"
    assert httpx.post(vertex.token_uri, data={"grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    assert vertex.issuer.issued == 1 and vertex.issuer.refused == 6
