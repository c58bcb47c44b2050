"""The playground: controls from the model's capabilities, generate through the console's proxy, a painted mask
reaching the upstream, streamed partial images, and the proxy's own refusals."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import User, sign_in
from tests.factories import png_bytes
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway, running


def _ready(page: Page, model: str, mode: str = "generations") -> None:
    page.goto("/console/playground")
    expect(page.locator("#playground")).to_have_attribute("data-ready", "true")
    page.locator("#pg-model").select_option(model)
    page.locator("#pg-mode").select_option(mode)


def test_generate_as_a_user_on_their_budget(user: User, gateway: Gateway, upstream: FakeOpenAI,
                                            shoot: Callable[[Page, str], None]) -> None:
    page = user.page
    _ready(page, "gpt-image-1")
    expect(page.locator("#pg-controls [name=quality]")).to_be_visible()  # gpt-image-1's capabilities
    expect(page.locator("#pg-controls [name=background]")).to_be_visible()
    page.locator("#pg-prompt").fill("a red <b>kite</b>")
    page.locator("#pg-controls [name=size]").select_option("1024x1024")
    page.get_by_role("button", name="Run").click()
    figure = page.locator("#pg-results figure")
    expect(figure).to_have_count(1)
    expect(figure.locator(".cost")).to_have_text("$0.1667")
    assert figure.locator("img").evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    expect(figure.get_by_role("link", name="Download")).to_have_attribute("download", "imagegate.png")
    assert upstream.last.json["prompt"] == "a red <b>kite</b>"
    shoot(page, "playground-generated")
    with gateway.http() as admin:
        spent = admin.get(f"/admin/keys/{user.id}").json()["spent_total_usd"]
    assert spent == 0.1667


def test_painted_mask_reaches_the_upstream(page: Page, upstream: FakeOpenAI, tmp_path: Path,
                                           shoot: Callable[[Page, str], None]) -> None:
    picture = tmp_path / "photo.png"
    picture.write_bytes(png_bytes(256, 256, "RGBA", "PNG", (40, 120, 200, 255), None))
    sign_in(page)
    _ready(page, "gpt-image-1", "edits")
    page.locator("#pg-prompt").fill("add a moon")
    page.locator("#pg-images").set_input_files([str(picture), str(picture)])
    mask = page.locator("#pg-mask")
    expect(mask).to_be_visible()
    box = mask.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.2, steps=8)
    page.mouse.up()
    shoot(page, "playground-mask")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#pg-results figure")).to_have_count(1)
    sent = upstream.last
    assert [f.field for f in sent.files].count("image[]") == 2
    mask_file = next(f for f in sent.files if f.field == "mask")
    painted = Image.open(io.BytesIO(mask_file.data)).convert("RGBA")
    assert painted.size == (256, 256)
    assert painted.getpixel((51, 51))[3] == 0  # painted: transparent, to be edited
    assert painted.getpixel((200, 200))[3] == 255  # untouched: kept


def test_streamed_partials_appear(page: Page, upstream: FakeOpenAI, shoot: Callable[[Page, str], None]) -> None:
    upstream.stream_gap = 0.5
    sign_in(page)
    _ready(page, "gpt-image-1")
    page.locator("#pg-prompt").fill("a slow sunrise")
    page.locator("#pg-controls [name=stream]").check()
    page.locator("#pg-controls [name=partial_images]").fill("2")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#pg-results figure.partial")).to_have_count(1)
    shoot(page, "playground-partial")
    expect(page.locator("#pg-results figure:not(.partial)")).to_have_count(1)
    expect(page.locator("#pg-results figure.partial")).to_have_count(0)
    expect(page.locator("#pg-results .cost")).to_have_text("$0.1667")
    assert upstream.last.json["stream"] is True


def test_proxy_refuses_without_session_or_token(page: Page, gateway: Gateway) -> None:
    body = {"model": "gpt-image-1", "prompt": "x"}
    with httpx.Client(base_url=gateway.url) as http:
        assert http.post("/console/proxy/v1/images/generations", json=body).status_code == 401
    sign_in(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "imagegate_console")
    with httpx.Client(base_url=gateway.url, cookies={cookie["name"]: cookie["value"]}) as http:
        assert http.get("/console/proxy/v1/models").status_code == 200
        assert http.post("/console/proxy/v1/images/generations", json=body).status_code == 403
        assert http.get("/console/proxy/admin/keys").status_code == 404
        assert http.post("/console/proxy/v1/images/generations", json=body,
                         headers={"X-CSRF-Token": "wrong"}).status_code == 403


@pytest.fixture(scope="module")
def demo_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with no upstream configured: it serves the built-in demo model."""
    with running(tmp_path_factory.mktemp("console-demo"), {"IMAGEGATE_CONSOLE_SIGNIN_PER_MINUTE": "1000"}) as gw:
        yield gw


def test_the_demo_model_works_in_the_playground_with_no_upstream(browser: Browser, demo_gateway: Gateway,
                                                                 shoot: Callable[[Page, str], None]) -> None:
    context = browser.new_context(base_url=demo_gateway.url, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page)
        _ready(page, "demo")
        page.locator("#pg-prompt").fill("a lighthouse at dusk")
        page.get_by_role("button", name="Run").click()
        figure = page.locator("#pg-results figure")
        expect(figure).to_have_count(1)
        expect(figure.locator(".cost")).to_have_text(re.compile(r"^\$0(\.0+)?$"))
        assert figure.locator("img").evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
        shoot(page, "playground-demo")
    finally:
        context.close()
    with demo_gateway.http() as admin:
        report = admin.get("/admin/usage", params={"by": "model"}).json()
    (line,) = [row for row in report["data"] if row["group"] == "demo"]
    assert line["images"] == 1 and line["cost_usd"] == 0
