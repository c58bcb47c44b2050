"""The usage log: rows with cost and thumbnails, filters, CSV export, and a user seeing only their own rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.console.conftest import User, sign_in
from tests.harness import MASTER, Gateway


def _generate(gateway: Gateway, key: str, prompt: str, response_format: str = "url") -> tuple[str, str]:
    """Generate with ``key``: the request id and the cost the answer gave."""
    with gateway.http(key) as http:
        answer = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": prompt, "n": 1,
                                                           "size": "1024x1024", "response_format": response_format})
    assert answer.status_code == 200, answer.text
    return answer.headers["x-request-id"], answer.headers["x-imagegate-cost"]


def test_row_shows_cost_and_thumbnail(page: Page, user: User, gateway: Gateway,
                                      shoot: Callable[[Page, str], None]) -> None:
    request_id, cost = _generate(gateway, user.key, "a lighthouse")
    sign_in(page)
    page.goto("/console/usage")
    row = page.locator(f"tr[data-request='{request_id}']")
    expect(row).to_contain_text(user.name)
    expect(row).to_contain_text("gpt-image-1")
    expect(row.locator(".cost")).to_have_text(f"${cost}")
    thumb = row.locator(".thumbs img")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_js_property("complete", True)
    assert thumb.evaluate("img => img.naturalWidth") > 0
    shoot(page, "usage-operator")


def test_filters_and_csv(page: Page, user: User, gateway: Gateway) -> None:
    ok, cost = _generate(gateway, user.key, "filtered", response_format="b64_json")
    sign_in(page)
    page.goto("/console/usage")
    page.locator("#filters [name=key]").select_option(label=user.name)
    page.locator("#filters [name=status]").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody")).to_contain_text("No requests match.")
    page.locator("#filters [name=status]").select_option("ok")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(f"tr[data-request='{ok}']")).to_be_visible()
    expect(page.locator(f"tr[data-request='{ok}'] .thumbs")).to_have_text("–")  # b64_json: no file kept
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [line["request_id"] for line in lines] == [ok]
    assert lines[0]["key_name"] == user.name and lines[0]["cost_usd"] == cost


def test_user_sees_only_their_own_rows(user: User, gateway: Gateway, shoot: Callable[[Page, str], None]) -> None:
    mine, _ = _generate(gateway, user.key, "mine")
    with gateway.http() as admin:
        other = admin.post("/admin/keys", json={"name": f"other-of-{user.name}"}).json()
    theirs, _ = _generate(gateway, other["key"], "theirs")
    master, _ = _generate(gateway, MASTER, "the operator's")
    user.page.goto(f"/console/usage?key={other['id']}")
    expect(user.page.locator(f"tr[data-request='{mine}']")).to_be_visible()
    expect(user.page.locator("tbody tr")).to_have_count(1)
    for hidden in (theirs, master):
        expect(user.page.locator(f"tr[data-request='{hidden}']")).to_have_count(0)
    expect(user.page.locator("#filters [name=key]")).to_have_count(0)
    shoot(user.page, "usage-user")
    cookie = next(c for c in user.page.context.cookies() if c["name"] == "imagegate_console")
    with httpx.Client(base_url=gateway.url, cookies={cookie["name"]: cookie["value"]}) as http:
        exported = http.get("/console/usage.csv", params={"key": "master"}).text
    assert mine in exported and theirs not in exported and master not in exported


def test_bad_filter_is_a_clear_error(page: Page) -> None:
    sign_in(page)
    response = page.goto("/console/usage?since=yesterday")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("Invalid 'since'")
