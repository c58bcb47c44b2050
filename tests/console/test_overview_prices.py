"""The overview's figures and charts, and the price table."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.console.conftest import User, sign_in
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway


def _charts_drawn(page: Page) -> None:
    """Wait until every chart on the page has been drawn."""
    page.wait_for_function("[...document.querySelectorAll('canvas[data-chart]')].every(c => c.chart)")


def test_overview_counts_and_charts(user: User, gateway: Gateway, shoot: Callable[[Page, str], None]) -> None:
    with gateway.http(user.key) as http:
        answer = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "x", "n": 2})
        refused = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "x", "size": "7x7"})
    assert answer.status_code == 200 and refused.status_code == 400
    page = user.page
    page.goto("/console")
    expect(page.locator("#stat-requests")).to_have_text("1")  # a refused request never reaches the ledger
    expect(page.locator("#stat-images")).to_have_text("2")
    expect(page.locator("#stat-spend")).to_have_text(f"${float(answer.headers['x-imagegate-cost']):.4f}")
    expect(page.locator("#chart-key")).to_have_count(0)
    _charts_drawn(page)
    for chart in ("day", "model", "errors"):
        assert page.locator(f"#chart-{chart}").evaluate("c => c.chart !== undefined && c.width > 0")
    assert page.locator("#chart-model").evaluate("c => c.chart.data.labels") == ["gpt-image-1"]
    shoot(page, "overview-user-charts")


def test_operator_overview_has_keys_and_errors(page: Page, gateway: Gateway, upstream: FakeOpenAI,
                                               shoot: Callable[[Page, str], None]) -> None:
    upstream.fail_next("status", status=500)
    with gateway.http() as http:
        assert http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "x"}).status_code >= 500
    sign_in(page)
    _charts_drawn(page)
    assert page.locator("#chart-key").evaluate("c => c.chart.data.labels.includes('master')")
    errors = page.locator("#chart-errors").evaluate("c => c.chart.data.labels")
    assert any(label.startswith("5") for label in errors)
    shoot(page, "overview-operator-charts")


def test_prices_page(page: Page, shoot: Callable[[Page, str], None]) -> None:
    sign_in(page)
    page.get_by_role("link", name="Prices").click()
    card = page.locator("section[data-model='dall-e-3']")
    expect(card).to_contain_text("per image")
    expect(card.locator("td.price").first).to_contain_text("$0.04")
    expect(page.locator("section[data-model='gpt-image-1']")).to_contain_text("per token")
    shoot(page, "prices")
