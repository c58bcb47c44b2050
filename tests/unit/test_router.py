"""Channel choice: priority tiers, weights (an injected random draw), health, retries, concurrency caps."""

from __future__ import annotations

import asyncio
import random

import pytest

from imagegate.errors import ClientClosed, InvalidRequest, NotFound
from imagegate.health import Health
from imagegate.job import ImageJob
from imagegate.policy import DeadlinePassed
from imagegate.providers.base import Call, UpstreamResult
from imagegate.router import Channel, Router, Unavailable
from tests import factories
from tests.factories import Clock

MODEL = "gpt-image-1"


class Draws(random.Random):
    """``random()`` answers the given values in turn."""

    def __init__(self, *values: float) -> None:
        super().__init__(0)
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


class Picky:
    """A provider that refuses jobs asking for ``output_format`` values it can't make."""

    images_per_call = 10

    def __init__(self, formats: tuple[str, ...] = ("png", "jpeg", "webp")) -> None:
        self.formats = formats

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        wanted = job.options.get("output_format", "png")
        if wanted in self.formats:
            return None
        return InvalidRequest(f"no {wanted}", param="output_format", code="unsupported_value")

    async def run(self, call: Call) -> UpstreamResult:
        raise AssertionError("not called")

    async def aclose(self) -> None:
        return None


def channel(name: str, priority: int = 0, weight: int = 1, cap: int | None = None, client: Picky | None = None,
            **health: float) -> Channel:
    return factories.channel(name, client or Picky(), {MODEL: MODEL}, priority, weight, cap,
                             health=Health(**health))  # type: ignore[arg-type]


def router(*channels: Channel, draws: tuple[float, ...] = (), clock: Clock | None = None) -> Router:
    return Router(list(channels), rng=Draws(*draws), clock=clock or Clock())


def pick(r: Router, avoid: tuple[str, ...] = ()) -> str | None:
    chosen = r.pick(r.usable(r.tiers(MODEL), avoid, r.clock()), spill=True)
    return chosen.name if chosen else None


def test_highest_priority_tier_wins() -> None:
    assert pick(router(channel("low", 0), channel("high", 5), channel("mid", 1))) == "high"


def test_weighted_draw_inside_a_tier() -> None:
    # weights 1 and 3 split [0, 4): a draw below 1/4 lands on "a", at or above it on "b"
    r = router(channel("a", weight=1), channel("b", weight=3), draws=(0.24, 0.25, 0.99))
    assert [pick(r), pick(r), pick(r)] == ["a", "b", "b"]


def test_seeded_weights_split_traffic_by_weight() -> None:
    r = Router([channel("a", weight=1), channel("b", weight=3)], rng=random.Random(7))
    counts = {"a": 0, "b": 0}
    for _ in range(4000):
        counts[pick(r) or ""] += 1
    assert 800 < counts["a"] < 1200 and counts["a"] + counts["b"] == 4000


def test_cooling_channel_is_skipped_for_a_lower_tier() -> None:
    clock = Clock()
    primary = channel("primary", 5, allowed_fails=1, cooldown=30)
    r = router(primary, channel("backup", 0), clock=clock)
    primary.health.failed(clock.now, probe=False)
    assert pick(r) == "backup"
    clock.now += 30
    assert pick(r) == "primary"  # probed by live traffic once the cooldown is over


def test_disabled_channel_is_skipped() -> None:
    primary = channel("primary", 5)
    primary.health.disable("auth")
    assert pick(router(primary, channel("backup"))) == "backup"


def test_retry_prefers_an_untried_channel_even_in_a_lower_tier() -> None:
    r = router(channel("primary", 5), channel("backup", 0))
    assert pick(r, avoid=("primary",)) == "backup"
    assert pick(r, avoid=("primary", "backup")) == "primary"  # all tried: best usable again


def test_has_fresh() -> None:
    r = router(channel("a"), channel("b"))
    assert r.has_fresh(r.tiers(MODEL), ["a"]) and not r.has_fresh(r.tiers(MODEL), ["a", "b"])


def test_unknown_model_is_404() -> None:
    with pytest.raises(NotFound):
        router(channel("a")).tiers("dall-e-9")


def test_full_tier_is_skipped_only_when_spilling() -> None:
    full = channel("full", 5, cap=1)
    full.health.begin()
    r = router(full, channel("spare", 0))
    tiers = r.usable(r.tiers(MODEL), (), r.clock())
    assert r.pick(tiers, spill=False) is None
    chosen = r.pick(tiers, spill=True)
    assert chosen is not None and chosen.name == "spare"


async def test_queue_waits_for_a_slot_in_its_tier() -> None:
    busy = channel("busy", 5, cap=1)
    r = Router([busy, channel("spare", 0)])
    first = await r.acquire(MODEL, r.tiers(MODEL), (), deadline=1e12, queue_wait=60)
    waiting = asyncio.create_task(r.acquire(MODEL, r.tiers(MODEL), (), deadline=1e12, queue_wait=60))
    await asyncio.sleep(0)
    assert not waiting.done()
    first.release()
    second = await waiting
    assert second.channel.name == "busy"  # it waited for its tier rather than spilling
    second.release()
    assert busy.health.in_flight == 0


async def test_queue_spills_to_a_lower_tier_after_queue_wait() -> None:
    busy = channel("busy", 5, cap=1)
    r = Router([busy, channel("spare", 0)])
    held = await r.acquire(MODEL, r.tiers(MODEL), (), deadline=1e12, queue_wait=60)
    lease = await r.acquire(MODEL, r.tiers(MODEL), (), deadline=1e12, queue_wait=0)
    assert lease.channel.name == "spare"
    held.release()
    lease.release()


async def test_all_full_until_the_deadline() -> None:
    r = Router([channel("only", cap=1)])
    held = await r.acquire(MODEL, r.tiers(MODEL), (), deadline=1e12, queue_wait=0)
    with pytest.raises(DeadlinePassed):
        await r.acquire(MODEL, r.tiers(MODEL), (), deadline=r.clock() + 0.01, queue_wait=0)
    held.release()


async def test_client_leaving_ends_the_wait() -> None:
    r = Router([channel("only", cap=1)])
    held = await r.acquire(MODEL, r.tiers(MODEL), (), deadline=1e12, queue_wait=0)
    gone = asyncio.Event()
    waiting = asyncio.create_task(r.acquire(MODEL, r.tiers(MODEL), (), deadline=1e12, queue_wait=0, gone=gone))
    await asyncio.sleep(0)
    gone.set()
    with pytest.raises(ClientClosed):
        await waiting
    held.release()


async def test_every_channel_cooling_uses_the_one_that_recovers_first() -> None:
    clock = Clock()
    a, b = channel("a", 5, allowed_fails=1, cooldown=30), channel("b", 0, allowed_fails=1, cooldown=30)
    a.health.failed(clock.now, probe=False)
    clock.now += 10
    b.health.failed(clock.now, probe=False)
    r = router(a, b, clock=clock)
    lease = await r.acquire(MODEL, r.tiers(MODEL), (), deadline=1e12, queue_wait=0)
    assert lease.channel.name == "a" and lease.probe
    lease.release()


async def test_rate_limited_only_channel_is_waited_for() -> None:
    only = channel("only")
    r = Router([only])
    only.health.rest(r.clock(), 0.05)
    lease = await r.acquire(MODEL, r.tiers(MODEL), (), deadline=r.clock() + 60, queue_wait=0)
    assert lease.channel.name == "only" and lease.waited > 0
    lease.release()


async def test_rate_limit_longer_than_the_deadline_is_unavailable() -> None:
    only = channel("only")
    r = Router([only])
    only.health.rest(r.clock(), 30)
    with pytest.raises(Unavailable) as err:
        await r.acquire(MODEL, r.tiers(MODEL), (), deadline=r.clock() + 1, queue_wait=0)
    assert err.value.status == 503 and "Retry-After" in err.value.headers


async def test_every_channel_disabled_is_503() -> None:
    only = channel("only")
    only.health.disable("auth")
    with pytest.raises(Unavailable) as err:
        r = Router([only])
        await r.acquire(MODEL, r.tiers(MODEL), (), deadline=1e12, queue_wait=0)
    assert err.value.status == 503 and err.value.code == "no_channel_available"


async def test_retired_router_drains_before_closing() -> None:
    r = Router([channel("a")])
    with r.in_use():
        drained = asyncio.create_task(r.drained())
        await asyncio.sleep(0)
        assert not drained.done()
    await asyncio.wait_for(drained, 5)


class Sized:
    def __init__(self, images_per_call: int) -> None:
        self.images_per_call = images_per_call


def test_images_per_call_fits_every_channel_of_the_model() -> None:
    bfl, fal, bare = channel("bfl", 1), channel("fal", 0), channel("bare")
    bfl.client, fal.client = Sized(1), Sized(4)  # type: ignore[assignment]
    assert Router.images_per_call(router(bfl, fal).tiers(MODEL)) == 1
    assert Router.images_per_call(router(fal).tiers(MODEL)) == 4
    assert Router.images_per_call(router(bare).tiers(MODEL)) == 10


def test_only_channels_that_can_take_every_value_are_considered() -> None:
    pngs_only = channel("pngs", 5, client=Picky(("png", "jpeg")))
    everything = channel("all", 0)
    r = router(pngs_only, everything)
    webp = factories.job(output_format="webp")
    assert [[c.name for c in tier] for tier in r.capable(webp)] == [["all"]]
    assert [[c.name for c in tier] for tier in r.capable(factories.job())] == [["pngs"], ["all"]]


def test_no_capable_channel_is_the_first_refusal() -> None:
    r = router(channel("pngs", 5, client=Picky(("png",))), channel("jpegs", 0, client=Picky(("jpeg",))))
    with pytest.raises(InvalidRequest) as err:
        r.capable(factories.job(output_format="webp"))
    assert (err.value.param, err.value.code) == ("output_format", "unsupported_value")


async def test_a_capable_channel_is_used_even_while_a_better_one_cools() -> None:
    clock = Clock()
    best = channel("best", 5, client=Picky(("png",)), allowed_fails=1, cooldown=30)
    best.health.failed(clock.now, probe=False)
    r = router(best, channel("all", 0), clock=clock)
    webp = factories.job(output_format="webp")
    lease = await r.acquire(MODEL, r.capable(webp), (), deadline=1e12, queue_wait=0)
    assert lease.channel.name == "all"
    lease.release()
