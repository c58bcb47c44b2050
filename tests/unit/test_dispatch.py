"""The attempt loop against scripted providers (no HTTP): failover, no-retry answers, deadline, fan-out, disconnects."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field, replace

import pytest

from imagegate.context import begin
from imagegate.dispatch import Dispatcher, Hooks, split
from imagegate.errors import ApiError, ClientClosed, ContentPolicy, InvalidRequest, UpstreamError
from imagegate.health import Health
from imagegate.job import ImageJob
from imagegate.metrics import Metrics
from imagegate.policy import DeadlinePassed, Policy
from imagegate.providers.base import Call, UpstreamImage, UpstreamResult
from imagegate.router import Channel, Router
from tests import factories
from tests.factories import Clock


@dataclass
class Hang:
    """Wait ``seconds``, or until ``release`` is set; ``started`` is set when the call begins. With a ``clock``, the
    call also takes ``elapse`` seconds of it."""

    seconds: float = 30.0
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    clock: Clock | None = None
    elapse: float = 0.0

    async def wait(self) -> None:
        self.started.set()
        if self.clock is not None:
            self.clock.now += self.elapse
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.release.wait(), self.seconds)


@dataclass
class Scripted:
    """Answers each call with the next step: an error to raise, a ``Hang``, or (script empty) an image."""

    steps: list[ApiError | Hang] = field(default_factory=list)
    calls: int = 0
    images_per_call: int = 10
    seen: list[Call] = field(default_factory=list)

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return None

    async def run(self, call: Call) -> UpstreamResult:
        self.calls += 1
        self.seen.append(call)
        step = self.steps.pop(0) if self.steps else None
        if isinstance(step, Hang):
            await step.wait()
        elif step is not None:
            raise step
        return UpstreamResult([UpstreamImage(b64="aGk=") for _ in range(call.n)])

    async def aclose(self) -> None:
        return None


def job(model: str = "gpt-image-1", n: int = 1) -> ImageJob:
    return factories.job(model=model, n=n)


def setup(*scripts: Scripted, timeout: float = 600.0, allowed_fails: int = 3, clock: Clock | None = None,
          **policy: float) -> tuple[Dispatcher, list[Channel]]:
    """A dispatcher over one channel per script, the first preferred; router and dispatcher read ``clock``."""
    models = {"gpt-image-1": "gpt-image-1", "dall-e-3": "dall-e-3"}
    channels = [factories.channel(f"c{i}", script, models, priority=len(scripts) - i, timeout=timeout,
                                  health=Health(allowed_fails=allowed_fails)) for i, script in enumerate(scripts)]
    now = clock or time.monotonic
    live = factories.live(Router(channels, clock=now), Policy(**{"backoff": 0.001, **policy}))  # type: ignore[arg-type]
    return Dispatcher(live, Metrics(), clock=now), channels


def server_error() -> UpstreamError:
    return UpstreamError("The upstream failed with status 500.")


async def test_failure_goes_to_the_next_channel() -> None:
    first, second = Scripted([server_error()]), Scripted()
    dispatcher, _ = setup(first, second)
    outcome = await dispatcher.run(job())
    assert outcome.channel == "c1" and (first.calls, second.calls) == (1, 1)


async def test_at_most_max_attempts() -> None:
    first, second = Scripted([server_error()] * 5), Scripted([server_error()] * 5)
    dispatcher, _ = setup(first, second, max_attempts=3)
    with pytest.raises(UpstreamError):
        await dispatcher.run(job())
    assert (first.calls, second.calls) == (2, 1)


@pytest.mark.parametrize("err", [InvalidRequest("bad", param="size"), ContentPolicy("no"),
                                 UpstreamError("broke", code="upstream_insufficient_credit")])
async def test_no_retry_after_a_refusal_or_empty_account(err: ApiError) -> None:
    first, second = Scripted([err]), Scripted()
    dispatcher, channels = setup(first, second)
    with pytest.raises(type(err)):
        await dispatcher.run(job())
    assert second.calls == 0
    expected = "cooling" if err.code == "upstream_insufficient_credit" else "healthy"
    assert channels[0].health.status(dispatcher.clock()) == expected


async def test_rejected_credentials_disable_the_channel_and_retry() -> None:
    first, second = Scripted([UpstreamError("key", code="upstream_auth_error")]), Scripted()
    dispatcher, channels = setup(first, second)
    assert (await dispatcher.run(job())).channel == "c1"
    assert channels[0].health.status(dispatcher.clock()) == "disabled"
    assert (await dispatcher.run(job())).channel == "c1" and first.calls == 1


async def test_slow_channel_times_out_and_the_next_answers() -> None:
    first, second = Scripted([Hang(30)]), Scripted()
    dispatcher, _ = setup(first, second, timeout=0.05)
    assert (await dispatcher.run(job())).channel == "c1"


async def test_deadline_ends_the_request_with_504() -> None:
    clock = Clock(0.0)  # each attempt outlasts the channel's timeout and takes 0.05 s of the request's 0.08
    slow = [Hang(30, clock=clock, elapse=0.05)] * 3
    first, second = Scripted(list(slow)), Scripted(list(slow))
    dispatcher, _ = setup(first, second, timeout=0.05, clock=clock, deadline=0.08)
    with pytest.raises(DeadlinePassed) as err:
        await dispatcher.run(job())
    assert err.value.status == 504 and first.calls + second.calls == 2


async def test_per_model_deadline_wins() -> None:
    first = Scripted([Hang(30)])
    dispatcher, _ = setup(first, Scripted(), timeout=10)
    slow = job()
    slow = replace(slow, spec=replace(slow.spec, deadline=0.05))
    with pytest.raises(DeadlinePassed):
        await dispatcher.run(slow)
    assert first.calls == 1


async def test_fan_out_retries_only_the_failed_call() -> None:
    first, second = Scripted([server_error()]), Scripted()
    dispatcher, _ = setup(first, second)
    outcome = await dispatcher.run(job("dall-e-3", n=3))
    assert len(outcome.results) == 3 and (first.calls, second.calls) == (3, 1)
    assert set(outcome.channel.split(",")) == {"c0", "c1"}


async def test_no_new_attempt_once_the_client_has_gone() -> None:
    hooks = Hooks()
    hooks.gone.set()
    first, second = Scripted([server_error()]), Scripted()
    dispatcher, _ = setup(first, second)
    with pytest.raises(ClientClosed):
        await dispatcher.run(job(), hooks)
    assert (first.calls, second.calls) == (0, 0)


async def test_call_in_flight_finishes_when_the_client_leaves() -> None:
    ctx = begin(None)
    hang, hooks = Hang(), Hooks()
    first = Scripted([hang])
    dispatcher, _ = setup(first)
    running = asyncio.create_task(dispatcher.run(job(), hooks))
    await hang.started.wait()
    hooks.gone.set()
    hang.release.set()
    assert (await running).channel == "c0" and ctx.attempts == 1


class LeavesThenFails(Scripted):
    """The client disconnects while this upstream works; then the upstream fails."""

    async def run(self, call: Call) -> UpstreamResult:
        self.calls += 1
        assert call.gone is not None
        call.gone.set()
        raise server_error()


async def test_failure_after_the_client_left_is_not_retried() -> None:
    first, second = LeavesThenFails(), Scripted()
    dispatcher, _ = setup(first, second)
    with pytest.raises(ClientClosed):
        await dispatcher.run(job())
    assert second.calls == 0


async def test_reload_swap_leaves_running_requests_on_the_old_router() -> None:
    hang = Hang()
    old = Scripted([hang])
    dispatcher, _ = setup(old)
    running = asyncio.create_task(dispatcher.run(job()))
    await hang.started.wait()
    new_dispatcher, _ = setup(Scripted())
    retired = dispatcher.live.swap(new_dispatcher.live.current)
    hang.release.set()
    assert (await running).channel == "c0" and old.calls == 1
    await asyncio.wait_for(retired.router.drained(), 5)


async def test_calls_carry_the_channel_name_and_the_hooks() -> None:
    tasks, partials = object(), list[tuple[str, str]]()
    first = Scripted()
    dispatcher, _ = setup(first)
    hooks = Hooks(on_partial=lambda kind, data: partials.append((kind, data)), tasks=tasks)  # type: ignore[arg-type]
    await dispatcher.run(job(), hooks)
    (call,) = first.seen
    assert (call.channel, call.upstream_model, call.tasks, call.gone) == ("c0", "gpt-image-1", tasks, hooks.gone)
    assert call.on_partial is not None
    call.on_partial("image_generation.partial_image", "{}")
    assert partials == [("image_generation.partial_image", "{}")]


class PartialsThenFails(Scripted):
    """Sends a partial image, then fails (once); later attempts send a partial and succeed."""

    async def run(self, call: Call) -> UpstreamResult:
        self.calls += 1
        if call.on_partial is not None:
            call.on_partial("image_generation.partial_image", f"attempt {self.calls}")
        if self.calls == 1:
            raise server_error()
        return UpstreamResult([UpstreamImage(b64="aGk=")])


async def test_after_a_failover_the_new_attempt_sends_no_partials() -> None:
    flaky = PartialsThenFails()
    dispatcher, _ = setup(flaky)
    partials: list[str] = []
    outcome = await dispatcher.run(job(), Hooks(on_partial=lambda kind, data: partials.append(data)))
    assert flaky.calls == 2 and len(outcome.results) == 1
    assert partials == ["attempt 1"]


async def test_an_attempt_that_failed_before_any_partial_leaves_the_next_one_free_to_send_them() -> None:
    first, second = Scripted([server_error()]), PartialsThenFails(calls=1)
    dispatcher, _ = setup(first, second)
    partials: list[str] = []
    await dispatcher.run(job(), Hooks(on_partial=lambda kind, data: partials.append(data)))
    assert partials == ["attempt 2"]


def test_split() -> None:
    assert split(10, 4) == [4, 4, 2] and split(3, 1) == [1, 1, 1] and split(2, 10) == [2]
