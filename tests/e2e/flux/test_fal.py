"""flux-kontext-* through fal's queue API: endpoints, num_images splitting, field spellings, statuses."""

from __future__ import annotations

import base64

import openai
import pytest

from tests.e2e.flux.helpers import edit, gen, generate
from tests.e2e.helpers import RED, api_error, image_file, raised
from tests.fakes.fal_upstream import FakeFal
from tests.fakes.server import Sink
from tests.fakes.task_upstream import RATIO_SIZES


def test_generation(fal_client: openai.OpenAI, fal: FakeFal) -> None:
    body = generate(fal_client, model="flux-kontext-pro", prompt="a fox", extra_body={"aspect_ratio": "9:16"})
    sent = fal.submitted()[-1]
    assert sent.path == "/fal-ai/flux-pro/kontext/text-to-image"
    assert sent.headers["authorization"] == f"Key {fal.api_key}"
    assert sent.json == {"prompt": "a fox", "num_images": 1, "output_format": "png", "enhance_prompt": False,
                         "aspect_ratio": "9:16"}
    assert body["aspect_ratio"] == "9:16" and body["output_format"] == "png"
    assert (body["data"][0]["width"], body["data"][0]["height"]) == RATIO_SIZES["9:16"]
    downloads = [r for r in fal.requests if r.path.startswith("/files/")]
    assert downloads and all("authorization" not in r.headers for r in downloads)


def test_kontext_max_has_its_own_app(fal_client: openai.OpenAI, fal: FakeFal) -> None:
    generate(fal_client, model="flux-kontext-max", prompt="p", size="1536x1024")
    sent = fal.submitted()[-1]
    assert sent.path == "/fal-ai/flux-pro/kontext/max/text-to-image" and sent.json["aspect_ratio"] == "3:2"


def test_n_is_split_into_requests_of_at_most_four(fal_client: openai.OpenAI, fal: FakeFal) -> None:
    body = generate(fal_client, model="flux-kontext-pro", prompt="p", n=10, response_format="b64_json",
                    extra_body={"seed": 100})
    sent = sorted((r.json for r in fal.submitted()), key=lambda b: b["seed"])
    assert [(b["seed"], b["num_images"]) for b in sent] == [(100, 4), (104, 4), (108, 2)]
    assert len(body["data"]) == 10 and body["usage"]["images"] == 10


@pytest.mark.parametrize(("fields", "expected"), [
    ({"quality": "hd"}, {"enhance_prompt": True}),
    ({"quality": "medium"}, {"enhance_prompt": False}),
    ({"extra_body": {"prompt_upsampling": True}}, {"enhance_prompt": True}),
    ({"extra_body": {"safety_tolerance": 3}}, {"safety_tolerance": "3"}),
    ({"output_format": "jpeg"}, {"output_format": "jpeg"}),
])
def test_field_spellings(fal_client: openai.OpenAI, fal: FakeFal, fields: dict[str, object],
                         expected: dict[str, object]) -> None:
    generate(fal_client, model="flux-kontext-pro", prompt="p", **fields)  # type: ignore[arg-type]
    sent = fal.submitted()[-1].json
    assert {k: sent[k] for k in expected} == expected


@pytest.mark.parametrize(("fields", "param"), [
    ({"output_format": "webp"}, "output_format"),
    ({"extra_body": {"safety_tolerance": 0}}, "safety_tolerance"),
])
def test_values_fal_cannot_make_are_refused(fal_client: openai.OpenAI, fal: FakeFal, fields: dict[str, object],
                                            param: str) -> None:
    failure = raised(lambda: gen(fal_client, **fields))
    api_error(failure, 400, param=param, code="unsupported_value")
    assert fal.submitted() == []


def test_one_image_edit_sends_a_data_uri(fal_client: openai.OpenAI, fal: FakeFal) -> None:
    upload = image_file(1200, 900, "RGB")
    body = edit(fal_client, model="flux-kontext-pro", prompt="p", image=upload)
    sent = fal.submitted()[-1]
    assert sent.path == "/fal-ai/flux-pro/kontext"
    prefix, data = sent.json["image_url"].split(",", 1)
    assert prefix == "data:image/png;base64" and base64.b64decode(data) == upload[1]
    assert sent.json["aspect_ratio"] == "4:3" and body["aspect_ratio"] == "4:3"


def test_several_images_go_to_multi(fal_client: openai.OpenAI, fal: FakeFal) -> None:
    uploads = [image_file(256, 256, "RGB", name="a.png"), image_file(300, 200, "RGB", "JPEG", name="b.jpg"),
               image_file(200, 300, "RGB", name="c.png")]
    edit(fal_client, model="flux-kontext-max", prompt="p", image=uploads, extra_body={"partial_results": "false"})
    sent = fal.submitted()[-1]
    assert sent.path == "/fal-ai/flux-pro/kontext/max/multi"
    assert [u.split(";")[0] for u in sent.json["image_urls"]] == ["data:image/png", "data:image/jpeg",
                                                                  "data:image/png"]
    assert [base64.b64decode(u.split(",", 1)[1]) for u in sent.json["image_urls"]] == [u[1] for u in uploads]


def test_a_mask_without_fill_is_refused(fal_client: openai.OpenAI, fal: FakeFal) -> None:
    mask = image_file(64, 64, name="mask.png", color=RED, transparent_box=(0, 0, 8, 8))
    failure = raised(lambda: fal_client.images.edit(model="flux-kontext-pro", prompt="p",
                                                    image=image_file(64, 64, "RGB"), mask=mask))
    api_error(failure, 400, param="mask", code="unsupported_parameter")
    assert fal.submitted() == []


@pytest.mark.parametrize(("outcome", "status", "param", "code"), [
    ("nsfw", 400, None, "content_policy_violation"),
    ("FAILED", 502, None, "upstream_error"),
    ("invalid", 400, "image", "invalid_value"),
    ("expired", 502, None, "upstream_download_failed"),
    ("never", 504, None, "upstream_timeout"),
])
def test_request_outcomes(fal_client: openai.OpenAI, fal: FakeFal, outcome: str, status: int, param: str | None,
                          code: str) -> None:
    fal.next_outcomes(outcome)
    failure = raised(lambda: gen(fal_client))
    error = api_error(failure, status, param=param, code=code)
    assert "fal.media" not in error["message"]


def test_a_foreign_status_url_is_never_followed(fal_client: openai.OpenAI, fal: FakeFal, sink: Sink) -> None:
    fal.next_outcomes("foreign")
    failure = raised(lambda: gen(fal_client))
    api_error(failure, 502, param=None, code="upstream_bad_response")
    assert sink.hits == []


def test_submit_429_is_retried(fal_client: openai.OpenAI, fal: FakeFal) -> None:
    fal.fail_submits(429, headers={"Retry-After": "0"})
    assert len(generate(fal_client, model="flux-kontext-pro", prompt="p")["data"]) == 1
    assert len(fal.submitted()) == 2


def test_a_submit_validation_error_names_the_openai_field(fal_client: openai.OpenAI, fal: FakeFal) -> None:
    fal.fail_submits(422, body={"detail": [{"loc": ["body", "enhance_prompt"], "msg": "bad", "type": "x"}]})
    failure = raised(lambda: gen(fal_client))
    api_error(failure, 400, param="prompt_upsampling", code="invalid_value")


def test_partial_results_across_fal_requests(fal_client: openai.OpenAI, fal: FakeFal) -> None:
    fal.next_outcomes("ok", "nsfw", "ok")
    body = generate(fal_client, model="flux-kontext-pro", prompt="p", n=9, extra_body={"partial_results": True})
    assert len(body["data"]) in (5, 8)  # the flagged request made either 4 or 1 of the 9
    assert [e["code"] for e in body["errors"]] == ["content_policy_violation"]
