"""Jobs: an async job's status in the console, its cancellation, and a user seeing only their own jobs."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.console.conftest import User, sign_in
from tests.e2e.helpers import wait_for
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway


def _submit(gateway: Gateway, key: str, response_format: str = "url") -> str:
    with gateway.http(key) as http:
        answer = http.post("/v1/images/generations", headers={"Prefer": "respond-async"},
                           json={"model": "gpt-image-1", "prompt": "slow", "response_format": response_format})
    assert answer.status_code == 202, answer.text
    job_id: str = answer.json()["id"]
    return job_id


def _status(gateway: Gateway, key: str, job_id: str) -> str:
    with gateway.http(key) as http:
        status: str = http.get(f"/v1/images/jobs/{job_id}").json()["status"]
    return status


def test_cancel_a_running_job(user: User, gateway: Gateway, upstream: FakeOpenAI,
                              shoot: Callable[[Page, str], None]) -> None:
    upstream.delay = 5.0
    job_id = _submit(gateway, user.key)
    user.page.goto("/console/jobs")
    row = user.page.locator(f"tr[data-job='{job_id}']")
    expect(row.locator(".status")).to_have_text(re.compile(r"^(queued|in_progress)$"))
    shoot(user.page, "jobs")
    row.get_by_role("button", name="Cancel").click()
    expect(user.page.locator(f"tr[data-job='{job_id}'] .status")).to_have_text("canceled")
    assert _status(gateway, user.key, job_id) == "canceled"


def test_finished_job_shows_its_result_to_its_key_only(page: Page, user: User, gateway: Gateway) -> None:
    job_id = _submit(gateway, user.key)
    wait_for(lambda: _status(gateway, user.key, job_id) == "succeeded", "the job to succeed", timeout=10)
    user.page.goto("/console/jobs")
    row = user.page.locator(f"tr[data-job='{job_id}']")
    expect(row.locator(".status")).to_have_text("succeeded")
    expect(row.locator(".thumbs img")).to_have_count(1)
    assert row.locator(".thumbs img").evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    with gateway.http() as admin:
        other = admin.post("/admin/keys", json={"name": f"jobs-other-{user.name}"}).json()
    others = _submit(gateway, other["key"])
    user.page.reload()
    expect(user.page.locator(f"tr[data-job='{others}']")).to_have_count(0)
    sign_in(page)
    page.goto("/console/jobs")
    expect(page.locator(f"tr[data-job='{others}']")).to_be_visible()
    expect(page.locator(f"tr[data-job='{job_id}']")).to_be_visible()
