"""Sign-in, sessions and what a session may see: operator and user, CSRF, rate limit, refusals."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.console.conftest import User, sign_in
from tests.harness import MASTER, Gateway, running


def test_pages_need_a_session(page: Page, gateway: Gateway) -> None:
    for path in ("/console", "/console/keys", "/console/channels"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/console/signin$"))
    with httpx.Client(base_url=gateway.url) as http:
        fragment = http.get("/console/channels/rows", headers={"HX-Request": "true"})
        change = http.post("/console/keys", data={"name": "x"}, follow_redirects=False)
    assert fragment.status_code == 401
    assert change.status_code == 303 and change.headers["location"] == "/console/signin"


def test_operator_signs_in_and_out(page: Page, context: BrowserContext, shoot: Callable[[Page, str], None]) -> None:
    page.goto("/console/signin")
    shoot(page, "signin")
    sign_in(page)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    shoot(page, "overview-operator")
    cookie = next(c for c in context.cookies() if c["name"] == "imagegate_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert "ig-test-master-key" not in cookie["value"]
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/signin$"))
    page.goto("/console/keys")
    expect(page).to_have_url(re.compile(r"/console/signin$"))


def test_wrong_key_is_refused(page: Page) -> None:
    page.goto("/console/signin")
    page.get_by_label("Key").fill("ig-not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Incorrect API key")
    expect(page).to_have_url(re.compile(r"/console/signin$"))


def test_user_gets_403_on_operator_pages(user: User,
                                         shoot: Callable[[Page, str], None]) -> None:
    for path in ("/console/keys", "/console/channels"):
        response = user.page.goto(path)
        assert response is not None and response.status == 403
        expect(user.page.get_by_role("heading", name="Refused")).to_be_visible()
    shoot(user.page, "refused-user")
    user.page.goto("/console")
    expect(user.page.get_by_role("link", name="Keys")).to_have_count(0)
    shoot(user.page, "overview-user")


def test_change_without_csrf_token_is_refused(page: Page, context: BrowserContext, gateway: Gateway) -> None:
    sign_in(page)
    cookie = next(c for c in context.cookies() if c["name"] == "imagegate_console")
    with httpx.Client(base_url=gateway.url, cookies={cookie["name"]: cookie["value"]}) as http:
        assert http.get("/console/keys").status_code == 200
        missing = http.post("/console/keys", data={"name": "csrf-less"})
        wrong = http.post("/console/keys", data={"name": "csrf-wrong", "csrf": "guess"})
        reload = http.post("/console/channels/reload", headers={"X-CSRF-Token": "guess"})
    assert missing.status_code == wrong.status_code == reload.status_code == 403
    with gateway.http() as admin:
        names = [k["name"] for k in admin.get("/admin/keys").json()["data"]]
    assert "csrf-less" not in names and "csrf-wrong" not in names


def test_revoked_key_ends_its_session(user: User, gateway: Gateway) -> None:
    user.page.goto("/console")
    expect(user.page.get_by_role("heading", name="Overview")).to_be_visible()
    with gateway.http() as admin:
        assert admin.delete(f"/admin/keys/{user.name}").status_code == 200
    user.page.goto("/console")
    expect(user.page).to_have_url(re.compile(r"/console/signin$"))


def test_signin_attempts_are_rate_limited(tmp_path: Path) -> None:
    with running(tmp_path, {"IMAGEGATE_CONSOLE_SIGNIN_PER_MINUTE": "3"}) as gw, httpx.Client(base_url=gw.url) as http:
        statuses = [http.post("/console/signin", data={"key": "ig-wrong"}).status_code for _ in range(4)]
        master = http.post("/console/signin", data={"key": MASTER}, follow_redirects=False)
    assert statuses == [401, 401, 401, 429]
    assert master.status_code == 429 and "imagegate_console" not in master.cookies


def test_console_can_be_turned_off(tmp_path: Path) -> None:
    with running(tmp_path, {"IMAGEGATE_CONSOLE": "false"}) as gw, httpx.Client(base_url=gw.url) as http:
        assert http.get("/console/signin").status_code == 404
        assert http.get("/console/static/console.css").status_code == 404
