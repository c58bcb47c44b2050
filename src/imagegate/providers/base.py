"""The provider interface: one upstream protocol, translated to and from OpenAI's image API.

A provider is built once per channel (it owns that channel's pooled HTTP client and any
per-account limits) and answers :meth:`Provider.run` for one upstream call of ``call.n``
images, at most ``images_per_call`` of them. It returns image
bytes or base64 plus what the upstream reported (tokens, cost, output metadata); it raises
only :mod:`imagegate.errors` exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..normalise import ImageJob
    from ..router import Channel


@dataclass(slots=True)
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    text_tokens: int = 0
    image_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, other: TokenUsage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.text_tokens += other.text_tokens
        self.image_tokens += other.image_tokens


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


@dataclass(slots=True)
class Call:
    """One upstream call: the job, the channel serving it, how many images this call makes, and
    the index of its first image in the job (``offset``; seeds are spread by it)."""

    job: ImageJob
    channel: Channel
    upstream_model: str
    n: int
    offset: int = 0


class Provider(Protocol):
    images_per_call: int

    async def run(self, call: Call) -> UpstreamResult: ...

    async def aclose(self) -> None: ...
