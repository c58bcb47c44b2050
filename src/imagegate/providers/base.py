"""The provider interface: one upstream protocol, translated to and from OpenAI's image API.

A provider is built once per channel from its :class:`Upstream` and an injected HTTP client
(it owns any per-account limits) and answers :meth:`Provider.run` for one upstream call of ``call.n``
images, at most ``images_per_call`` of them. It returns image
bytes or base64 plus what the upstream reported (tokens, cost, output metadata); it raises
only :mod:`imagegate.errors` exceptions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import PollConfig
from ..errors import InvalidRequest
from ..job import ImageJob
from .limits import Caps, local_cap

PartialSink = Callable[[str, str], None]  # (event type, event JSON): a partial image for a streaming client


class TaskLog(Protocol):
    """Where an async job keeps the upstream tasks it submitted, so a restarted job resumes them."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    async def submitted(self, key: str, record: dict[str, Any]) -> None: ...

    async def forget(self, key: str) -> None: ...

    async def progress(self, value: float) -> None: ...


@dataclass(frozen=True, slots=True)
class Upstream:
    """One channel's account as its provider sees it: where, with which key, how patiently. ``options`` holds
    the provider's own channel settings (its ``channel_options`` model), if it has any."""

    name: str
    base_url: str
    api_key: str = field(repr=False)
    timeout: float = 600.0
    max_concurrency: int | None = None
    model_concurrency: dict[str, int] = field(default_factory=dict)
    poll: PollConfig = field(default_factory=PollConfig)
    options: Any = None
    caps: Caps = field(default=local_cap, repr=False)  # where its task caps' slots come from


@dataclass(slots=True)
class TokenUsage:
    """Token counts: input (``text_tokens`` and ``image_tokens`` break it down) and output
    (``output_text_tokens`` are the words a model writes beside its image, where it says)."""

    input_tokens: int = 0
    output_tokens: int = 0
    text_tokens: int = 0
    image_tokens: int = 0
    output_text_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, other: TokenUsage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.text_tokens += other.text_tokens
        self.image_tokens += other.image_tokens
        self.output_text_tokens += other.output_text_tokens


@dataclass(slots=True)
class UpstreamImage:
    """One result image: base64 text as the upstream sent it, raw bytes, or a link to fetch at once."""

    b64: str | None = None
    data: bytes | None = None
    url: str | None = None
    revised_prompt: str | None = None


@dataclass(slots=True)
class UpstreamResult:
    images: list[UpstreamImage]
    usage: TokenUsage | None = None
    meta: dict[str, str] = field(default_factory=dict)
    cost: float | None = None  # what the upstream says this call cost, in USD (billing records it)


@dataclass(frozen=True, slots=True)
class Call:
    """One upstream call: the job, the channel serving it (by name), how many images this call makes, and
    the index of its first image in the job (``offset``; seeds are spread by it).

    What the call may report back is passed in, never read from ambient state: ``on_partial`` takes
    partial images for a streaming client, ``tasks`` remembers submitted upstream tasks for an async job,
    and ``gone`` is set once the client has left (a call in flight still finishes: its images are paid
    for)."""

    job: ImageJob
    channel: str
    upstream_model: str
    n: int
    offset: int = 0
    on_partial: PartialSink | None = None
    tasks: TaskLog | None = None
    gone: asyncio.Event | None = None


class Provider(Protocol):
    images_per_call: int

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        """The 400 naming the first value of ``job`` this upstream can't honour, or ``None`` if it can serve it."""
        ...

    async def run(self, call: Call) -> UpstreamResult: ...

    async def aclose(self) -> None: ...


def total_usage(results: list[UpstreamResult]) -> TokenUsage | None:
    """The upstream calls' token counts added up; ``None`` when no call counted any."""
    counted = [r.usage for r in results if r.usage is not None]
    if not counted:
        return None
    total = TokenUsage()
    for usage in counted:
        total.add(usage)
    return total
