"""Per-account and per-model caps on upstream tasks in flight."""

from __future__ import annotations

import asyncio
from collections import Counter

from imagegate.providers.limits import TaskLimiter


async def run_all(limiter: TaskLimiter, models: list[str],
                  finished: list[str] | None = None) -> tuple[int, Counter[str]]:
    """Run one task per entry of ``models``, each holding its slot until every task has asked for one (so all that
    can get a slot at once have one); the peak tasks in flight, overall and per model."""
    now: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    total = [0, 0]
    asked = [0]
    everyone_asked = asyncio.Event()

    async def task(model: str) -> None:
        asked[0] += 1
        if asked[0] == len(models):
            everyone_asked.set()
        async with limiter.slot(model):
            now[model] += 1
            total[0] += 1
            peak[model] = max(peak[model], now[model])
            total[1] = max(total[1], total[0])
            await everyone_asked.wait()
            now[model] -= 1
            total[0] -= 1
        if finished is not None:
            finished.append(model)

    await asyncio.gather(*(task(m) for m in models))
    return total[1], peak


async def test_account_and_model_caps_hold_together() -> None:
    peak, by_model = await run_all(TaskLimiter(4, {"max": 2}), ["max"] * 10 + ["pro"] * 10)
    assert peak == 4 and by_model["max"] == 2


async def test_a_queued_model_task_leaves_account_slots_to_others() -> None:
    finished: list[str] = []
    peak, by_model = await run_all(TaskLimiter(3, {"max": 1}), ["max"] * 6 + ["pro"] * 6, finished)
    assert by_model["max"] == 1 and peak == 3
    assert finished[-1] == "max" and finished.index("pro") < 2  # pro ran beside the queued max tasks


async def test_no_cap() -> None:
    peak, _ = await run_all(TaskLimiter(None, {}), ["m"] * 20)
    assert peak == 20
