"""Console tests: a real gateway (fake OpenAI upstream) driven by Debian's chromium through Playwright.

The browser is the system's ``/usr/bin/chromium`` (``.ci/run`` installs it); Playwright's own browser
downloads are never used. Each test gets a fresh browser context (no cookies). ``shoot`` saves a page's
screenshot at 1280 and 390 px wide under the run's ``screenshots`` folder.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, SINGLE_CHANNEL_ENV, Gateway, openai_env, running

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = (1280, 390)


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="package")
def gateway(upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {**openai_env(upstream), **SINGLE_CHANNEL_ENV, "IMAGEGATE_UPSTREAM_TIMEOUT": "3",
           "IMAGEGATE_ALLOWED_FAILS": "1", "IMAGEGATE_COOLDOWN": "120",
           "IMAGEGATE_CONSOLE_SIGNIN_PER_MINUTE": "1000"}
    with running(tmp_path_factory.mktemp("console"), env) as gw:
        yield gw


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> None:
    if "gateway" in request.fixturenames:
        request.getfixturevalue("upstream").reset()
        request.getfixturevalue("gateway").reset_channels()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Package-scoped: Playwright's sync API keeps an event loop running in this thread while it is open, which
    would stop later tests' ``asyncio.run``."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, gateway: Gateway) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=gateway.url, viewport={"width": WIDTHS[0], "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@dataclass
class User:
    """A client key signed in to the console in its own browser context."""

    page: Page
    key: str
    name: str
    id: int


@pytest.fixture
def user(browser: Browser, gateway: Gateway) -> Iterator[User]:
    name = f"user-{uuid.uuid4().hex[:6]}"
    with gateway.http() as admin:
        created = admin.post("/admin/keys", json={"name": name, "budget_usd": 5}).json()
    ctx = browser.new_context(base_url=gateway.url, viewport={"width": WIDTHS[0], "height": 900})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    sign_in(page, created["key"])
    yield User(page, created["key"], name, created["id"])
    ctx.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def shoot(shots: Path) -> Callable[[Page, str], None]:
    def save(page: Page, name: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    return save


def sign_in(page: Page, key: str = MASTER) -> None:
    """Sign in through the form and wait for the overview."""
    page.goto("/console/signin")
    page.get_by_label("Key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/console$"))


def create_key(page: Page, name: str, **limits: str) -> str:
    """Create a key through the Keys page (signed in as operator); the key shown once."""
    page.goto("/console/keys")
    page.get_by_text("Create a key").click()
    form = page.locator("#create-key")
    form.get_by_label("Name").fill(name)
    for field, value in limits.items():
        control = form.locator(f"[name={field}]")
        control.select_option(value) if field == "budget_period" else control.fill(value)
    form.get_by_role("button", name="Create").click()
    secret = page.locator("#new-key")
    expect(secret).to_be_visible()
    return secret.inner_text().strip()
