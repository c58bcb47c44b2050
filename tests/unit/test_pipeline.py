"""The pipeline's fan-out with an in-process provider: calls per provider, seed offsets, partial results, cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import orjson
import pytest

from imagegate import respond
from imagegate.auth import MASTER, Principal
from imagegate.billing import Billing
from imagegate.dispatch import Dispatcher
from imagegate.errors import ContentPolicy
from imagegate.job import ImageJob
from imagegate.ledger import Database, UsageRecorder
from imagegate.ledger.budget import Budgets
from imagegate.ledger.idempotency import Idempotency
from imagegate.ledger.prices import PriceTable
from imagegate.metrics import Metrics
from imagegate.pipeline import Pipeline
from imagegate.providers.base import Call, UpstreamImage, UpstreamResult
from imagegate.router import Router
from imagegate.store import LocalStore, Signer, StorageUnavailable
from imagegate.store.base import unavailable
from tests import factories
from tests.factories import PRICES
from tests.factories import flux_job as job
from tests.fakes.openai_upstream import encode_image


class Provider:
    """Makes ``call.n`` 1536x640 PNGs for 0.05 each; fails the calls whose offset is in ``failing``."""

    images_per_call = 4

    def __init__(self, failing: frozenset[int] = frozenset()) -> None:
        self.calls: list[tuple[int, int]] = []
        self.failing = failing

    def refusal(self, job: ImageJob, upstream_model: str) -> None:
        return None

    async def run(self, call: Call) -> UpstreamResult:
        self.calls.append((call.offset, call.n))
        if call.offset in self.failing:
            raise ContentPolicy("flagged")
        images = [UpstreamImage(data=encode_image(1536, 640)[0]) for _ in range(call.n)]
        return UpstreamResult(images, meta={"aspect_ratio": "21:9", "output_format": "png", "size": "1536x640"},
                              cost=0.05 * call.n)

    async def aclose(self) -> None:
        return None


class Run:
    """The pipeline, answering with the decoded body (no database: the master key is batched, unbudgeted)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def run(self, job: ImageJob, principal: Principal, request_id: str) -> dict[str, Any]:
        answer = await self.pipeline.run(job, principal, request_id)
        body: dict[str, Any] = orjson.loads(answer.content)
        return body


class FailingStore(LocalStore):
    """A local store whose ``fail_at``-th write (from 1) fails, as a full disk or a bucket gone away would."""

    def __init__(self, root: Path, fail_at: int) -> None:
        super().__init__(root)
        self.writes, self.fail_at = 0, fail_at

    async def put(self, data: bytes, ext: str) -> str:
        self.writes += 1
        if self.writes == self.fail_at:
            raise unavailable()
        return await super().put(data, ext)


def pipeline(tmp_path: Path, provider: Provider, store: LocalStore | None = None) -> tuple[Run, UsageRecorder]:
    channel = factories.channel("c", provider, {"flux-kontext-pro": "kontext"}, provider="fake")
    db = cast(Database, None)
    usage = UsageRecorder(db, "batch")
    prices = PriceTable({"flux-kontext-pro": PRICES["flux-kontext-pro"]})
    billing = Billing(db, lambda: prices, usage, Budgets(db), Idempotency(db, 60))
    signer = Signer(b"secret", 60, "http://gateway.test")
    dispatcher = Dispatcher(factories.live(Router([channel])), Metrics())
    return Run(Pipeline(dispatcher, store or LocalStore(tmp_path), signer, billing)), usage


async def test_calls_follow_the_provider_s_batch_size(tmp_path: Path) -> None:
    provider = Provider()
    run, usage = pipeline(tmp_path, provider)
    body = await run.run(job(n=10, response_format="b64_json"), MASTER, "r1")
    assert sorted(provider.calls) == [(0, 4), (4, 4), (8, 2)]
    assert len(body["data"]) == 10 and body["usage"]["images"] == 10
    assert body["aspect_ratio"] == "21:9" and "size" not in body
    assert all((item["width"], item["height"]) == (1536, 640) for item in body["data"])
    row = usage.queue.get_nowait()
    assert (row.upstream_cost_micros, row.price_micros, row.images) == (500_000, 400_000, 10)
    assert body["usage"]["cost_usd"] == 0.4


async def test_a_failed_call_fails_the_request_and_costs_nothing(tmp_path: Path) -> None:
    run, usage = pipeline(tmp_path, Provider(failing=frozenset({4})))
    with pytest.raises(ContentPolicy):
        await run.run(job(n=10), MASTER, "r2")
    row = usage.queue.get_nowait()
    assert (row.status, row.price_micros, row.images) == (400, 0, 0)


async def test_partial_results_keep_what_was_made(tmp_path: Path) -> None:
    run, usage = pipeline(tmp_path, Provider(failing=frozenset({4})))
    body = await run.run(job(n=10, partial_results=True), MASTER, "r3")
    assert len(body["data"]) == 6 and body["usage"]["images"] == 6
    assert [e["code"] for e in body["errors"]] == ["content_policy_violation"]
    assert all(item["url"].startswith("http://gateway.test/") for item in body["data"])
    row = usage.queue.get_nowait()
    assert (row.upstream_cost_micros, row.price_micros) == (300_000, 240_000)


async def test_partial_results_with_nothing_made_fail(tmp_path: Path) -> None:
    run, _ = pipeline(tmp_path, Provider(failing=frozenset({0, 4})))
    with pytest.raises(ContentPolicy):
        await run.run(job(n=8, partial_results=True), MASTER, "r4")


async def test_a_store_that_fails_fails_the_request_keeps_nothing_and_charges_nothing(tmp_path: Path) -> None:
    store = FailingStore(tmp_path / "results", fail_at=3)
    run, usage = pipeline(tmp_path, Provider(), store)
    with pytest.raises(StorageUnavailable) as err:
        await run.run(job(n=5), MASTER, "r5")
    assert err.value.status == 503 and err.value.code == "storage_unavailable"
    assert list((tmp_path / "results").iterdir()) == []  # the four images that were saved are gone
    row = usage.queue.get_nowait()
    assert (row.status, row.price_micros, row.images) == (503, 0, 0)


async def test_results_stored_before_a_later_failure_are_removed(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    run, usage = pipeline(tmp_path, Provider())

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(respond, "build", broken)
    with pytest.raises(RuntimeError):
        await run.run(job(n=2), MASTER, "r6")
    assert [p.name for p in tmp_path.iterdir()] == []
    assert usage.queue.get_nowait().status == 500
