"""The shared channel-health store on a real Redis: two nodes (two routers with the same channel) see each
other's cooldowns, disabled keys and probe results after a sync, count failures together, and a node
whose Redis is gone degrades and comes back."""

from __future__ import annotations

import time

import pytest
from redis.exceptions import ConnectionError as RedisDown

from imagegate.health import COOLING, DISABLED, HEALTHY, Health
from imagegate.router import Channel, Router
from imagegate.shared import SharedState
from imagegate.shared.channels import HealthSync
from tests import factories
from tests.unit.test_router import Picky


def node(state: SharedState, account: str = "acct", allowed_fails: int = 3) -> tuple[HealthSync, Channel]:
    chan = factories.channel("a", Picky(), health=Health(allowed_fails=allowed_fails))  # type: ignore[arg-type]
    chan.account = account
    router = Router([chan])
    return HealthSync(state, lambda: router, interval=0.05), chan


async def test_a_cooldown_on_one_node_reaches_the_other(state: SharedState) -> None:
    (a_sync, a), (b_sync, b) = node(state), node(state)
    now = time.monotonic()
    a.health.rest(now, 20.0)
    a_sync.record(a, "cool", "rate_limited", 20.0)
    await a_sync.sync()
    await b_sync.sync()
    assert b.health.state is COOLING
    assert b.health.reason == "rate_limited"
    assert b.health.resting(time.monotonic())
    assert 15.0 < b.health.until - now <= 20.5  # Redis' clock, turned into this one's
    assert not b.health.usable(time.monotonic())


async def test_failures_count_across_nodes(state: SharedState) -> None:
    (a_sync, a), (b_sync, b) = node(state, allowed_fails=2), node(state, allowed_fails=2)
    a_sync.record(a, "fail")
    await a_sync.sync()
    await b_sync.sync()
    assert b.health.state is HEALTHY
    b_sync.record(b, "fail")  # the second failure, on the other node: the fleet's count reaches 2
    await b_sync.sync()
    await a_sync.sync()
    assert (a.health.state, a.health.reason) == (COOLING, "failures")
    assert b.health.state is COOLING


async def test_a_disabled_key_is_disabled_everywhere(state: SharedState) -> None:
    (a_sync, a), (b_sync, b) = node(state), node(state)
    a_sync.record(a, "disable", "auth")
    await a_sync.sync()
    await b_sync.sync()
    assert (b.health.state, b.health.reason) == (DISABLED, "auth")
    b_sync.record(b, "healthy")  # nothing but a reload brings a disabled channel back
    await b_sync.sync()
    assert b.health.state is DISABLED


async def test_another_key_has_its_own_record(state: SharedState) -> None:
    (a_sync, a), (b_sync, b) = node(state, "old-key"), node(state, "new-key")
    a_sync.record(a, "disable", "auth")
    await a_sync.sync()
    await b_sync.sync()
    assert b.health.state is HEALTHY


async def test_a_probe_that_succeeds_ends_the_cooldown_everywhere(state: SharedState) -> None:
    (a_sync, a), (b_sync, b) = node(state), node(state)
    a_sync.record(a, "cool", "failures", 0.0)
    await a_sync.sync()
    await b_sync.sync()
    assert b.health.state is COOLING
    assert b.health.status(time.monotonic()) == "probing"
    a_sync.record(a, "healthy")
    await a_sync.sync()
    await b_sync.sync()
    assert b.health.state is HEALTHY


async def test_a_later_cooldown_is_kept(state: SharedState) -> None:
    (a_sync, a), (b_sync, b) = node(state), node(state)
    a_sync.record(a, "cool", "rate_limited", 30.0)
    a_sync.record(a, "cool", "failures", 1.0)  # ends sooner: the longer rest stands
    await a_sync.sync()
    await b_sync.sync()
    assert b.health.reason == "rate_limited"


async def test_without_redis_the_node_degrades_and_keeps_its_own_state(gone_state: SharedState) -> None:
    sync, chan = node(gone_state)
    sync.record(chan, "disable", "auth")
    with pytest.raises(RedisDown):
        await sync.sync()
    gone_state.degrade(ConnectionError("refused"))
    assert gone_state.mode() == "degraded"
    assert gone_state.describe()["reason"] == "ConnectionError: refused"
    sync.record(chan, "fail")  # dropped while degraded: this node's health has it already
    assert sync._queue.empty()
    gone_state.restore()
    assert gone_state.mode() == "shared"


def test_mode_changes_are_reported_once() -> None:
    changes: list[bool] = []
    shared = SharedState(None, "p", on_change=changes.append)
    assert shared.mode() == "local"
    shared.degrade(ConnectionError("x"))  # no Redis configured: nothing to degrade from
    assert shared.mode() == "local" and changes == []


async def test_a_reload_resets_the_fleets_record_of_a_cooldown(state: SharedState) -> None:
    (a_sync, a), (b_sync, b) = node(state), node(state)
    a_sync.record(a, "cool", "failures", 60.0)
    await a_sync.sync()
    await b_sync.sync()
    assert b.health.state is COOLING
    a_sync.reset(Router([a]))  # node A reloaded its configuration
    await a_sync.sync()
    await b_sync.sync()
    assert b.health.state is HEALTHY
