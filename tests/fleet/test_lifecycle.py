"""Node lifecycle on a fleet of real gateway processes (PostgreSQL, Redis): a node SIGKILLed with jobs in
flight loses none and charges none twice; answered requests have their usage rows even after a SIGKILL;
one budget holds across three nodes; a webhook whose receiver is down across a restart arrives once; and
SIGTERM drains a node (``/readyz`` 503 ``draining``, requests and jobs in flight finish, exit status 0)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.helpers import wait_for
from tests.e2e.jobs.helpers import submit, wait
from tests.e2e.ledger_tools import new_key, query
from tests.fakes.openai_upstream import FakeOpenAI
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.fleet.lifecycle_tools import BODY, fire, fleet, in_background, kill, terminate, upstream_saw, usage_of
from tests.harness import free_port

WEBHOOKS = {"IMAGEGATE_WEBHOOK_SECRET": "whsec-test", "IMAGEGATE_WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
            "IMAGEGATE_WEBHOOK_TIMEOUT": "1", "IMAGEGATE_WEBHOOK_RETRY_MAX": "0.5"}


@pytest.fixture
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def test_jobs_of_a_killed_node_finish_on_the_others_once_charged_once(tmp_path: Path, upstream: FakeOpenAI) -> None:
    with fleet(tmp_path, upstream, IMAGEGATE_JOB_LEASE="1") as nodes:
        a = nodes.start("a")
        upstream.delay = 60.0  # A's upstream calls hang until A is gone
        with a.http() as http:
            ids = [submit(http, {**BODY, "prompt": f"job {i}"})["id"] for i in range(4)]
        upstream_saw(upstream, 4)  # every job is in flight on A
        b, c = nodes.start_many("b", "c")
        kill(a)
        upstream.delay = 0.0
        with b.http() as http:
            jobs = [wait(http, job_id) for job_id in ids]
        assert [job["status"] for job in jobs] == ["succeeded"] * 4
        charged = {job_id: [price for price in prices if price] for job_id, prices in usage_of(b, ids).items()}
        assert charged == {job_id: [16_000] for job_id in ids}  # charged once each (a lost attempt costs 0)
        claims = query(c, "SELECT claims FROM image_jobs WHERE id = ANY(:ids)", ids=ids)
        assert all(count >= 2 for count, in claims) and len(claims) == 4  # taken by A, then by B or C


def test_every_answered_request_has_its_usage_row_after_a_sigkill(tmp_path: Path, upstream: FakeOpenAI) -> None:
    with fleet(tmp_path, upstream) as nodes:
        node = nodes.start("a")
        responses = asyncio.run(fire([node.url], 30))
        kill(node)  # at once, after the last answer arrived
        assert [r.status_code for r in responses] == [200] * 30
        ids = [r.headers["x-request-id"] for r in responses]
        assert usage_of(nodes.start("b"), ids) == {request_id: [16_000] for request_id in ids}


def test_fifty_requests_over_three_nodes_on_a_budget_for_ten(tmp_path: Path, upstream: FakeOpenAI) -> None:
    with fleet(tmp_path, upstream) as nodes:
        a, b, c = nodes.start_many("a", "b", "c")
        key, record = new_key(a, budget_usd="0.16")  # $0.016 a request: exactly 10
        upstream.delay = 0.5  # requests overlap
        responses = asyncio.run(fire([a.url, b.url, c.url], 50, key))
        outcomes = Counter((r.status_code, "ok" if r.status_code == 200 else r.json()["error"]["code"])
                           for r in responses)
        assert outcomes == {(200, "ok"): 10, (429, "insufficient_quota"): 40}
        assert query(a, "SELECT spent_micros, reserved_micros, budget_micros FROM api_keys WHERE id = :k",
                     k=record["id"]) == [(160_000, 0, 160_000)]
        assert query(a, "SELECT count(*), sum(price_micros) FROM usage WHERE key_id = :k", k=record["id"]) == [
            (10, 160_000)]


def test_a_webhook_receiver_down_across_a_restart_gets_the_call_once(tmp_path: Path, upstream: FakeOpenAI) -> None:
    port = free_port()  # nobody listens there yet: the receiver is down
    with fleet(tmp_path, upstream, **WEBHOOKS) as nodes:
        a = nodes.start("a")
        with a.http() as http:
            job = submit(http, {**BODY, "webhook_url": f"http://127.0.0.1:{port}/hook"})
            assert wait(http, job["id"])["status"] == "succeeded"
        failed = "SELECT attempts FROM webhook_outbox WHERE job_id = :j AND attempts > 0"
        wait_for(lambda: query(a, failed, j=job["id"]), "a failed delivery round")
        terminate(a)
        assert a.process.wait(30) == 0
        with WebhookReceiver(port) as receiver:
            b = nodes.start("b")
            wait_for(lambda: receiver.calls, "the webhook")
            wait_for(lambda: not query(b, "SELECT job_id FROM webhook_outbox"), "the outbox to empty")
            with httpx.Client(base_url=b.url) as http:
                assert http.get("/readyz").status_code == 200  # a round trip: b had time to send a second call
        assert len(receiver.calls) == 1
        headers, body = receiver.calls[0]
        assert job["id"].encode() in body and headers["x-imagegate-signature"].startswith("t=")


def test_sigterm_drains_in_flight_requests_and_jobs_then_exits_zero(tmp_path: Path, upstream: FakeOpenAI) -> None:
    with fleet(tmp_path, upstream, IMAGEGATE_DEADLINE="30") as nodes:
        node = nodes.start("a")
        with httpx.Client(base_url=node.url) as probe:
            ready = probe.get("/readyz")
            assert ready.status_code == 200 and ready.json()["status"] == "ready"
            assert set(ready.json()["checks"]) == {"database", "redis", "storage", "draining"}
            upstream.delay = 2.0
            with node.http() as http:
                job = submit(http, {**BODY, "prompt": "a job in flight"})
            requests = in_background(fire([node.url], 5))
            upstream_saw(upstream, 6)  # the job and the five requests are all at the upstream
            terminate(node)
            draining = wait_for(lambda: (r := probe.get("/readyz")).status_code == 503 and r, "readyz 503")
            assert draining.json()["status"] == "draining"
            with node.http() as http:
                refused = http.post("/v1/images/generations", json=BODY)
            assert refused.status_code == 503 and refused.json()["error"]["code"] == "node_draining"
        assert [r.status_code for r in requests.result(timeout=60)] == [200] * 5
        assert node.process.wait(60) == 0
        assert query(node, "SELECT status, claims FROM image_jobs WHERE id = :j", j=job["id"]) == [("succeeded", 1)]


def test_a_job_still_running_at_the_deadline_is_handed_back_and_taken_at_once(tmp_path: Path,
                                                                            upstream: FakeOpenAI) -> None:
    with fleet(tmp_path, upstream, IMAGEGATE_JOB_LEASE="300") as nodes:  # a lease no test waits out
        # A drains for 1 s (its ``deadline``); the job's model may run for 120 s
        a = nodes.start("a", IMAGEGATE_DEADLINE="1", IMAGEGATE_MODELS='{"dall-e-2": {"deadline": 120}}')
        upstream.delay = 60.0
        with a.http() as http:
            job = submit(http, {**BODY, "prompt": "longer than the deadline"})
        upstream_saw(upstream, 1)
        b = nodes.start("b")
        terminate(a)
        upstream.delay = 0.0
        assert a.process.wait(60) == 0
        with b.http() as http:
            assert wait(http, job["id"])["status"] == "succeeded"  # long before A's lease would have run out
        assert query(b, "SELECT claims FROM image_jobs WHERE id = :j", j=job["id"]) == [(2,)]
