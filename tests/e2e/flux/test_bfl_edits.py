"""flux-kontext-* edits through BFL: input images, multipart extras, and masks routed to Fill."""

from __future__ import annotations

import base64

import openai
import pytest

from tests.e2e.flux.helpers import edit
from tests.e2e.helpers import RED, api_error, decode, image_file, raised
from tests.fakes.bfl_upstream import FakeBFL
from tests.harness import Gateway


def test_one_image_goes_as_input_image_and_keeps_its_ratio(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    upload = image_file(1600, 900, "RGB")
    body = edit(bfl_client, model="flux-kontext-pro", prompt="make it red", image=upload)
    sent = bfl.submitted()[-1].json
    assert base64.b64decode(sent["input_image"]) == upload[1]
    assert "input_image_2" not in sent
    assert sent["aspect_ratio"] == "16:9" and body["aspect_ratio"] == "16:9"
    assert (body["data"][0]["width"], body["data"][0]["height"]) == (1392, 752)


def test_jpeg_and_webp_inputs_go_unchanged(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    images = [image_file(640, 480, "RGB", "JPEG", name="a.jpg"), image_file(480, 640, "RGB", "WEBP", name="b.webp")]
    edit(bfl_client, model="flux-kontext-max", prompt="p", image=images)
    sent = bfl.submitted()[-1].json
    assert base64.b64decode(sent["input_image"]) == images[0][1]
    assert base64.b64decode(sent["input_image_2"]) == images[1][1]
    assert sent["aspect_ratio"] == "4:3"


def test_four_images_are_the_multi_reference_fields(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    uploads = [image_file(512 + 64 * i, 512, "RGB", name=f"{i}.png") for i in range(4)]
    edit(bfl_client, model="flux-kontext-pro", prompt="combine", image=uploads)
    sent = bfl.submitted()[-1].json
    fields = ["input_image", "input_image_2", "input_image_3", "input_image_4"]
    assert [base64.b64decode(sent[f]) for f in fields] == [u[1] for u in uploads]


def test_five_images_are_refused(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    uploads = [image_file(64, 64, "RGB", name=f"{i}.png") for i in range(5)]
    failure = raised(lambda: bfl_client.images.edit(model="flux-kontext-pro", prompt="p", image=uploads))
    api_error(failure, 400, param="image", code="too_many_images")
    assert bfl.submitted() == []


def test_multipart_extras_pass_through(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    body = edit(bfl_client, model="flux-kontext-pro", prompt="p", image=image_file(800, 800, "RGB"), n=2,
                quality="high", output_format="jpeg",
                extra_body={"seed": "5", "safety_tolerance": "1", "aspect_ratio": "3:2"})
    sent = sorted((r.json for r in bfl.submitted()), key=lambda b: b["seed"])
    assert [b["seed"] for b in sent] == [5, 6]
    assert all(b["safety_tolerance"] == 1 and b["aspect_ratio"] == "3:2" and b["prompt_upsampling"] is True
               and b["output_format"] == "jpeg" for b in sent)
    assert len(body["data"]) == 2 and body["output_format"] == "jpeg"


@pytest.mark.parametrize(("extra", "param", "code"), [
    ({"guidance": "3"}, "guidance", "unknown_parameter"),
    ({"safety_tolerance": "high"}, "safety_tolerance", "invalid_type"),
    ({"aspect_ratio": "7:3"}, "aspect_ratio", "invalid_value"),
    ({"prompt_upsampling": "yes"}, "prompt_upsampling", "invalid_type"),
])
def test_bad_multipart_extras_are_refused(bfl_client: openai.OpenAI, bfl: FakeBFL, extra: dict[str, str],
                                          param: str, code: str) -> None:
    failure = raised(lambda: bfl_client.images.edit(model="flux-kontext-pro", prompt="p",
                                                    image=image_file(64, 64, "RGB"), extra_body=extra))
    api_error(failure, 400, param=param, code=code)
    assert bfl.submitted() == []


def test_a_mask_routes_the_edit_to_fill(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    image = image_file(300, 200, "RGB")
    mask = image_file(300, 200, name="mask.png", color=RED, transparent_box=(100, 50, 200, 150))
    body = edit(bfl_client, model="flux-kontext-pro", prompt="a window", image=image, mask=mask, extra_body={"seed": 9})
    submitted = bfl.submitted()[-1]
    assert submitted.path == "/v1/flux-pro-1.0-fill"
    sent = submitted.json
    assert set(sent) == {"prompt", "image", "mask", "output_format", "prompt_upsampling", "seed"}
    assert base64.b64decode(sent["image"]) == image[1]
    converted = decode(sent["mask"])
    assert (converted.mode, converted.size) == ("L", (300, 200))
    assert converted.getpixel((150, 100)) == 255 and converted.getpixel((10, 10)) == 0
    assert "aspect_ratio" not in body
    assert (body["data"][0]["width"], body["data"][0]["height"]) == (300, 200)


def test_a_mask_with_an_aspect_ratio_is_refused(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    mask = image_file(64, 64, name="mask.png", color=RED, transparent_box=(0, 0, 8, 8))
    failure = raised(lambda: bfl_client.images.edit(model="flux-kontext-pro", prompt="p",
                                                    image=image_file(64, 64, "RGB"), mask=mask,
                                                    extra_body={"aspect_ratio": "1:1"}))
    api_error(failure, 400, param="aspect_ratio", code="unsupported_parameter")
    assert bfl.submitted() == []


def test_a_mask_of_another_size_is_refused(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    mask = image_file(32, 32, name="mask.png", color=RED, transparent_box=(0, 0, 8, 8))
    failure = raised(lambda: bfl_client.images.edit(model="flux-kontext-pro", prompt="p",
                                                    image=image_file(64, 64, "RGB"), mask=mask))
    api_error(failure, 400, param="mask", code="invalid_image")


def test_a_masked_edit_takes_one_image(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    mask = image_file(64, 64, name="mask.png", color=RED, transparent_box=(0, 0, 8, 8))
    images = [image_file(64, 64, "RGB", name="a.png"), image_file(64, 64, "RGB", name="b.png")]
    failure = raised(lambda: bfl_client.images.edit(model="flux-kontext-pro", prompt="p", image=images,
                                                    mask=mask))
    api_error(failure, 400, param="image", code="too_many_images")


def test_fill_without_a_mask_needs_transparency(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    failure = raised(lambda: bfl_client.images.edit(model="flux-fill-pro", prompt="p",
                                                    image=image_file(64, 64, "RGB")))
    api_error(failure, 400, param="image", code="invalid_image")
    transparent = image_file(64, 64, color=RED, transparent_box=(0, 0, 16, 16))
    edit(bfl_client, model="flux-fill-pro", prompt="p", image=transparent)
    assert set(bfl.submitted()[-1].json) == {"prompt", "image", "output_format", "prompt_upsampling"}


def test_kontext_is_not_a_variations_model(bfl_gateway: Gateway) -> None:
    with bfl_gateway.http() as http:
        response = http.post("/v1/images/variations", data={"model": "flux-kontext-pro"},
                             files={"image": image_file(64, 64, "RGB")})
    error = response.json()["error"]
    assert (response.status_code, error["param"], error["code"]) == (400, "model", "unsupported_model")


def test_json_edits_reach_kontext_and_fill(bfl_gateway: Gateway, bfl: FakeBFL) -> None:
    image = image_file(640, 480, "RGB")[1]
    mask = image_file(640, 480, name="mask.png", color=RED, transparent_box=(0, 0, 320, 480))[1]

    def data_url(data: bytes) -> dict[str, str]:
        return {"image_url": "data:image/png;base64," + base64.b64encode(data).decode()}

    with bfl_gateway.http() as http:
        plain = http.post("/v1/images/edits", json={"model": "flux-kontext-pro", "prompt": "p",
                                                    "images": [data_url(image)], "seed": 4})
        masked = http.post("/v1/images/edits", json={"model": "flux-kontext-max", "prompt": "p",
                                                     "images": [data_url(image)], "mask": data_url(mask)})
    assert plain.status_code == 200 and masked.status_code == 200
    first, second = bfl.submitted()
    assert first.path == "/v1/flux-kontext-pro" and base64.b64decode(first.json["input_image"]) == image
    assert (first.json["seed"], first.json["aspect_ratio"]) == (4, "4:3")
    assert second.path == "/v1/flux-pro-1.0-fill" and decode(second.json["mask"]).getpixel((10, 10)) == 255
