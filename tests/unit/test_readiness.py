"""``/readyz``: every check named in the body, 503 when one is down or the node drains, ``degraded`` still
ready; the request gate refuses new requests once draining and counts those in flight."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from imagegate.app import create_app
from imagegate.bootstrap import Services
from imagegate.config import Settings
from imagegate.lifecycle import InFlight
from imagegate.readiness import OK, Readiness, Verdict, probe

pytestmark = pytest.mark.usefixtures("clean_env")


async def ok() -> Verdict:
    return OK


async def degraded() -> Verdict:
    return Verdict("degraded", "shared state unavailable; local caps")


async def broken() -> None:
    raise ConnectionRefusedError("no")


async def test_all_checks_ok_is_ready() -> None:
    readiness = Readiness()
    readiness.add("database", ok)
    assert await readiness.report() == (True, {"status": "ready", "checks": {"database": {"status": "ok"},
                                                                              "draining": {"status": "ok"}}})


async def test_a_check_that_raises_is_down_and_named() -> None:
    readiness = Readiness()
    readiness.add("database", ok)
    readiness.add("redis", probe(broken))
    ready, body = await readiness.report()
    assert not ready and body["status"] == "not_ready"
    assert body["checks"]["redis"] == {"status": "down", "detail": "ConnectionRefusedError"}
    assert body["checks"]["database"] == {"status": "ok"}


async def test_a_check_that_hangs_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("imagegate.readiness.TIMEOUT", 0.01)
    readiness = Readiness()
    readiness.add("storage", probe(lambda: asyncio.sleep(60)))
    ready, body = await readiness.report()
    assert not ready and body["checks"]["storage"]["status"] == "down"


async def test_degraded_is_ready_but_says_so() -> None:
    readiness = Readiness()
    readiness.add("shared_state", degraded)
    ready, body = await readiness.report()
    assert ready and body["status"] == "degraded"
    assert body["checks"]["shared_state"] == {"status": "degraded", "detail": "shared state unavailable; local caps"}


async def test_draining_is_not_ready_whatever_the_checks_say() -> None:
    readiness = Readiness()
    readiness.add("database", ok)
    readiness.draining = True
    ready, body = await readiness.report()
    assert not ready and body["status"] == "draining" and body["checks"]["draining"] == {"status": "down"}


async def test_in_flight_counts_until_idle() -> None:
    inflight = InFlight()
    inflight.enter()
    assert not await inflight.idle(0.01)
    inflight.leave()
    assert await inflight.idle(0.01)


async def test_the_app_answers_readyz_and_refuses_requests_while_draining(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", job_workers=0, master_key="mk"))
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and set(ready.json()["checks"]) == {"database", "storage", "draining"}
        services: Services = app.state.services
        services.lifecycle.readiness.draining = True
        draining = await http.get("/readyz")
        assert draining.status_code == 503 and draining.json()["status"] == "draining"
        refused = await http.get("/v1/models", headers={"Authorization": "Bearer mk"})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert refused.json()["error"]["code"] == "node_draining"
        assert (await http.get("/healthz")).status_code == 200


async def test_storage_that_cannot_be_written_is_not_ready(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", job_workers=0))
    async with app.router.lifespan_context(app):
        (tmp_path / "data" / "results").rmdir()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as http:
            answer = await http.get("/readyz")
    assert answer.status_code == 503 and answer.json()["checks"]["storage"]["status"] == "down"
