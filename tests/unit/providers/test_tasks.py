from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator

import pytest
from multidict import CIMultiDict

from imagegate.config import PollConfig
from imagegate.errors import UpstreamTimeout
from imagegate.providers.http import Reply
from imagegate.providers.tasks import backoff, poll, retry_delay, submit

FAST = PollConfig(interval=0.001, max_interval=0.002, deadline=0.2)


def test_backoff_grows_by_half_up_to_the_max() -> None:
    delays = list(itertools.islice(backoff(PollConfig()), 7))
    assert delays == pytest.approx([0.5, 0.75, 1.125, 1.6875, 2.53125, 3.0, 3.0])


@pytest.mark.parametrize(("header", "expected"), [("2", 2.0), ("0", 0.0), ("60", 3.0), ("soon", 0.5), (None, 0.5)])
def test_retry_delay(header: str | None, expected: float) -> None:
    headers = CIMultiDict({"Retry-After": header} if header is not None else {})
    response = Reply(429, headers, b"", "https://upstream.test/")
    assert retry_delay(response, 0.5, 3.0) == expected


def responses(*statuses: int) -> tuple[list[int], Callable[[], Awaitable[Reply]]]:
    sent: list[int] = []
    answers: Iterator[int] = iter(statuses)

    async def send() -> Reply:
        status = next(answers)
        sent.append(status)
        return Reply(status, {}, b"{}", "https://upstream.test/v1/x")

    return sent, send


@pytest.mark.parametrize(("statuses", "final", "calls"), [
    ((429, 503, 200), 200, 3), ((402,), 402, 1), ((422,), 422, 1), ((500, 500, 500, 500, 500), 500, 4),
])
async def test_submit_retries_only_429_and_5xx(statuses: tuple[int, ...], final: int, calls: int) -> None:
    sent, send = responses(*statuses)
    response = await submit(send, FAST)
    assert response.status_code == final and len(sent) == calls


async def test_poll_returns_the_first_value() -> None:
    answers = iter([None, None, "done"])

    async def check() -> str | None:
        return next(answers)

    assert await poll(check, FAST) == "done"


async def test_poll_gives_up_at_the_deadline() -> None:
    async def never() -> str | None:
        return None

    with pytest.raises(UpstreamTimeout) as caught:
        await poll(never, PollConfig(interval=0.01, max_interval=0.01, deadline=0.05))
    assert caught.value.status == 504
