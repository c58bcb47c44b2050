"""The fleet semaphore on a real Redis: its cap holds across nodes, leases lapse and renew, a node serves its
waiters in arrival order, and without Redis it falls back to its share of the cap."""

from __future__ import annotations

import asyncio

from imagegate.shared import SharedState
from imagegate.shared.caps import FleetCap, RedisSemaphore
from tests.unit.shared.conftest import redis_of


async def test_semaphore_gives_at_most_cap_slots(state: SharedState) -> None:
    sem = RedisSemaphore(redis_of(state), f"{state.prefix}:sem", 2, lease=30)
    first, second = await sem.try_acquire(), await sem.try_acquire()
    assert first and second
    assert await sem.try_acquire() is None
    assert await sem.holders() == 2
    await sem.release(first)
    assert await sem.try_acquire() is not None


async def test_a_lapsed_lease_gives_its_slot_back(state: SharedState) -> None:
    sem = RedisSemaphore(redis_of(state), f"{state.prefix}:sem", 1, lease=0.2)
    assert await sem.try_acquire() is not None  # never released: its holder "died"
    assert await sem.try_acquire() is None
    for _ in range(250):  # a bounded wait (5 s) for the lease to lapse
        if await sem.try_acquire() is not None:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the lapsed slot never came back")
    assert await sem.holders() == 1


async def test_a_renewed_lease_keeps_its_slot(state: SharedState) -> None:
    sem = RedisSemaphore(redis_of(state), f"{state.prefix}:sem", 1, lease=0.3)
    holder = await sem.try_acquire()
    assert holder is not None
    for _ in range(6):  # 0.6 s in all: twice the lease
        await asyncio.sleep(0.1)
        assert await sem.renew(holder)
    assert await sem.try_acquire() is None


async def test_renewing_a_released_slot_fails(state: SharedState) -> None:
    sem = RedisSemaphore(redis_of(state), f"{state.prefix}:sem", 1, lease=30)
    holder = await sem.try_acquire()
    assert holder is not None
    await sem.release(holder)
    assert not await sem.renew(holder)


async def _peak(caps: list[FleetCap], tasks: int) -> tuple[int, int]:
    """Run ``tasks`` short tasks spread over ``caps`` (one per node); the peak in flight and how many ran."""
    running = peak = done = 0

    async def task(cap: FleetCap) -> None:
        nonlocal running, peak, done
        async with cap.slot():
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
            done += 1

    await asyncio.wait_for(asyncio.gather(*(task(caps[i % len(caps)]) for i in range(tasks))), 30)
    return peak, done


async def test_the_cap_holds_across_nodes(state: SharedState) -> None:
    key = f"{state.prefix}:caps:acct:account"
    nodes = [FleetCap(state, key, 3, lease=30) for _ in range(3)]
    peak, done = await _peak(nodes, 30)
    assert (peak, done) == (3, 30)
    assert state.mode() == "shared"
    assert await nodes[0].semaphore.holders() == 0


async def test_a_node_serves_its_waiters_in_arrival_order(state: SharedState) -> None:
    cap = FleetCap(state, f"{state.prefix}:caps:acct:account", 1, lease=30)
    order: list[int] = []

    async def task(i: int) -> None:
        async with cap.slot():
            order.append(i)
            await asyncio.sleep(0.005)

    tasks = []
    for i in range(6):
        tasks.append(asyncio.create_task(task(i)))
        await asyncio.sleep(0)  # each one queued before the next arrives
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    assert order == list(range(6))


async def test_without_redis_a_node_serves_on_its_share(gone_state: SharedState) -> None:
    cap = FleetCap(gone_state, "igtest-gone:caps:acct:account", 7, lease=30)
    peak, done = await _peak([cap], 12)
    assert gone_state.mode() == "degraded"
    assert "ConnectionError" in gone_state.reason
    assert (peak, done) == (7 // 3, 12)
    assert cap.held == 0


async def test_back_on_redis_after_degrading(state: SharedState) -> None:
    cap = FleetCap(state, f"{state.prefix}:caps:acct:account", 2, lease=30)
    state.degrade(ConnectionError("gone"))
    async with cap.slot():
        assert cap.held == 1
        assert await cap.semaphore.holders() == 0  # a slot of the node's share
    state.restore()
    async with cap.slot():
        assert cap.held == 1
        assert await cap.semaphore.holders() == 1
    assert state.mode() == "shared"


async def test_slots_held_from_redis_count_against_the_share(state: SharedState) -> None:
    cap = FleetCap(state, f"{state.prefix}:caps:acct:account", 6, lease=30)  # share: 6 / 3 nodes = 2
    entered = asyncio.Event()

    async def third() -> None:
        async with cap.slot():
            entered.set()

    async with cap.slot(), cap.slot():
        state.degrade(ConnectionError("gone"))
        waiting = asyncio.create_task(third())
        await asyncio.sleep(0.1)
        assert not entered.is_set()  # two held already: the node's whole share
    await asyncio.wait_for(waiting, 5)
    assert entered.is_set() and cap.held == 0
