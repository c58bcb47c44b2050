"""Keys (create once-shown, edit, revoke, escaping) and channels (live state, cooldown, reload) in the browser."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.console.conftest import create_key, sign_in
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway


def test_key_is_shown_once_and_works(page: Page, gateway: Gateway, shoot: Callable[[Page, str], None]) -> None:
    sign_in(page)
    key = create_key(page, "shown-once", budget_usd="2.5", budget_period="month", rpm="30")
    assert key.startswith("ig-")
    shoot(page, "key-created")
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {key}"}) as http:
        assert http.get("/v1/models").status_code == 200
    page.goto("/console/keys")
    expect(page.locator("#new-key")).to_have_count(0)
    assert key not in page.content()
    row = page.locator("tr[data-key]", has_text="shown-once")
    expect(row).to_contain_text("$0.000000 / $2.500000")
    expect(row).to_contain_text("month")
    shoot(page, "keys")


def test_bad_limits_are_shown_not_stored(page: Page, gateway: Gateway) -> None:
    sign_in(page)
    page.goto("/console/keys")
    page.get_by_text("Create a key").click()
    form = page.locator("#create-key")
    form.get_by_label("Name").fill("bad-limits")
    form.locator("[name=rpm]").fill("-3")
    form.locator("[name=models]").fill("no-such-model")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("rpm")
    form.locator("[name=rpm]").fill("")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown model(s) in 'models': no-such-model")
    with gateway.http() as admin:
        assert "bad-limits" not in [k["name"] for k in admin.get("/admin/keys").json()["data"]]


def test_edit_and_revoke(page: Page, gateway: Gateway) -> None:
    sign_in(page)
    key = create_key(page, "to-edit")
    page.goto("/console/keys")
    row = page.locator("tr[data-key]", has_text="to-edit")
    row.get_by_text("Edit", exact=True).click()
    row.locator("[name=budget_usd]").fill("1.25")
    row.locator("[name=budget_period]").select_option("day")
    row.locator("[name=models]").fill("gpt-image-1")
    row.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/console/keys$"))
    row = page.locator("tr[data-key]", has_text="to-edit")
    expect(row).to_contain_text("/ $1.250000 (day)")
    expect(row).to_contain_text("gpt-image-1")
    with gateway.http() as admin:
        stored = admin.get("/admin/keys/to-edit").json()
    assert (stored["budget_usd"], stored["budget_period"], stored["models"]) == (1.25, "day", ["gpt-image-1"])
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("tr[data-key]", has_text="to-edit")).to_contain_text("revoked")
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {key}"}) as http:
        assert http.get("/v1/models").status_code == 401


def test_script_in_a_key_name_is_inert(page: Page) -> None:
    sign_in(page)
    fired: list[str] = []
    page.on("dialog", lambda dialog: (fired.append(dialog.message), dialog.dismiss()))
    name = "<script>alert('pwned')</script><img src=x onerror=alert(1)>"
    create_key(page, name)
    expect(page.locator("#created h2")).to_contain_text(name)
    page.goto("/console/keys")
    expect(page.locator("td.name", has_text="<script>alert('pwned')</script>")).to_be_visible()
    assert fired == []
    assert page.locator("td.name script, td.name img").count() == 0


def test_failing_channel_shows_its_cooldown(page: Page, gateway: Gateway, upstream: FakeOpenAI,
                                            shoot: Callable[[Page, str], None]) -> None:
    sign_in(page)
    page.goto("/console/channels")
    row = page.locator("tr[data-channel]").first
    expect(row.locator(".state")).to_have_text("healthy")
    upstream.fail_next("status", status=500)
    with gateway.http() as http:
        failed = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "x"})
    assert failed.status_code >= 500
    expect(row.locator(".state")).to_contain_text("cooling down")  # the table refreshes itself (htmx)
    expect(row).to_contain_text("100 % of 1")
    shoot(page, "channels-cooling")
    page.get_by_role("button", name="Reload configuration").click()
    expect(page.get_by_role("status")).to_contain_text("Reloaded")
    expect(page.locator("tr[data-channel]").first.locator(".state")).to_have_text("healthy")
