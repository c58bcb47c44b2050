"""Price calculators, one per pricing kind. Each answers two questions about a job:

- :meth:`hold`: the most it may cost, reserved against a budget before the upstream is called;
- :meth:`charge`: what it did cost, from what came back.

Neither ever answers a silent 0: a model without a price is refused when the configuration is
loaded (:mod:`.prices`), and a token-priced answer without token counts is charged its hold.
A price of 0 exists only when someone wrote it down.

Per-image tables are keyed ``"SIZE/QUALITY"``, ``"SIZE"``, ``"*/QUALITY"`` or ``"*"``, most
specific first: ``{"1024x1024": 0.04, "1024x1024/hd": 0.08}`` prices dall-e-3's square image
at 0.04 for standard quality and 0.08 for hd. Output-token tables (for token holds) are keyed the
same way; a ``WxH`` size they don't list (a model with flexible sizes) is estimated from the
``1024x1024`` entry of its quality, scaled by pixel count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import PriceConfig
from ..sizing import parse_size
from .money import to_micros

if TYPE_CHECKING:
    from ..job import ImageJob
    from ..providers.base import TokenUsage

PER_MILLION = 1_000_000
AUTO = (None, "auto")
SQUARE, SQUARE_PIXELS = "1024x1024", 1024 * 1024


def lookup(table: Mapping[str, int], size: str | None, quality: str | None) -> int | None:
    """The most specific entry for ``size`` and ``quality``, or ``None``."""
    for key in (f"{size}/{quality}", f"{size}", f"*/{quality}", "*"):
        if key in table:
            return table[key]
    return None


def tokens(table: Mapping[str, int], size: str | None, quality: str | None) -> int | None:
    """Output tokens per image: the table's entry, else for an unlisted ``WxH`` the square entry of ``quality``
    scaled by pixels (rounded up)."""
    found = lookup(table, size, quality)
    dims = parse_size(size) if found is None and size is not None else None
    square = lookup(table, SQUARE, quality) if dims is not None else None
    if dims is None or square is None:
        return found
    return -(-square * dims[0] * dims[1] // SQUARE_PIXELS)


def worst(table: Mapping[str, int], sizes: Iterable[str | None], qualities: Iterable[str | None]) -> int:
    """The largest output-token entry over every size × quality (for holds when the upstream chooses)."""
    qualities = tuple(qualities)
    found = [v for s in sizes for q in qualities if (v := tokens(table, s, q)) is not None]
    if not found:
        raise ValueError("no entry covers these sizes and qualities")
    return max(found)


def _choices(job: ImageJob) -> tuple[tuple[str | None, ...], tuple[str | None, ...]]:
    """Sizes (or the resolution tier) and qualities the upstream may pick for ``job``: every allowed one where
    it says auto."""
    if job.resolution is not None:
        sizes: tuple[str | None, ...] = (job.resolution,)
    else:
        sizes = (job.spec.sizes or (None,)) if job.size in AUTO else (job.size,)
    qualities = tuple(q for q in job.spec.qualities if q != "auto") if job.quality in AUTO else (job.quality,)
    return sizes, qualities or (None,)


@dataclass(frozen=True, slots=True)
class PerImage:
    """A price per image (micro-dollars), by size and quality."""

    table: Mapping[str, int]

    def unit(self, size: str | None, quality: str | None) -> int:
        price = lookup(self.table, size, quality)
        if price is None:
            raise LookupError(f"no per-image price for size {size!r}, quality {quality!r}")
        return price

    def hold(self, job: ImageJob) -> int:
        return job.n * self.unit(job.size, job.quality)

    def charge(self, job: ImageJob, usage: TokenUsage | None, images: int) -> int:
        return images * self.unit(job.size, job.quality)

    def uncovered(self, sizes: Iterable[str | None], qualities: Iterable[str | None]) -> list[str]:
        """The size/quality pairs this table can't price (checked when the config loads)."""
        qualities = tuple(qualities)
        return [f"{s}/{q}" for s in sizes for q in qualities if lookup(self.table, s, q) is None]


@dataclass(frozen=True, slots=True)
class PerToken:
    """Token prices (micro-dollars per 1M tokens) and what a hold assumes about the output."""

    text_input: int
    image_input: int
    image_output: int
    output_tokens: Mapping[str, int]
    input_image_tokens: int
    text_output: int | None = None  # output text tokens (a model's words beside its image); None: image_output

    def _cost(self, text: int, image: int, output: int, output_text: int = 0) -> int:
        text_rate = self.image_output if self.text_output is None else self.text_output
        total = (text * self.text_input + image * self.image_input + (output - output_text) * self.image_output
                 + output_text * text_rate)
        return (total + PER_MILLION // 2) // PER_MILLION

    def hold(self, job: ImageJob) -> int:
        """Text tokens ≤ prompt bytes (byte-level BPE); output from the size × quality table."""
        sizes, qualities = _choices(job)
        output = job.n * worst(self.output_tokens, sizes, qualities)
        text = len((job.prompt or "").encode())
        return self._cost(text, len(job.images) * self.input_image_tokens, output)

    def charge(self, job: ImageJob, usage: TokenUsage | None, images: int) -> int:
        """The upstream's counts; input tokens it didn't break down are image tokens if images went in."""
        if usage is None:
            return self.hold(job) * images // max(job.n, 1)
        rest = max(usage.input_tokens - usage.text_tokens - usage.image_tokens, 0)
        text, image = (usage.text_tokens, usage.image_tokens + rest) if job.images else \
            (usage.text_tokens + rest, usage.image_tokens)
        return self._cost(text, image, usage.output_tokens, min(usage.output_text_tokens, usage.output_tokens))

    def uncovered(self, sizes: Iterable[str | None], qualities: Iterable[str | None]) -> list[str]:
        qualities = tuple(qualities)
        return [f"{s}/{q}" for s in sizes for q in qualities
                if s not in AUTO and q not in AUTO and tokens(self.output_tokens, s, q) is None]


Price = PerImage | PerToken


def per_image(table: Mapping[str, str] | str) -> PerImage:
    """A per-image price from USD text: one amount, or a ``"SIZE/QUALITY"`` table."""
    prices = {"*": table} if isinstance(table, str) else table
    return PerImage({key: to_micros(value) for key, value in prices.items()})


def per_token(text_input: str, image_input: str, image_output: str, output_tokens: Mapping[str, int],
              input_image_tokens: int, text_output: str | None = None) -> PerToken:
    """Token prices from USD-per-1M text, with the output-token table and input-image estimate for holds, and
    the rate of output text tokens where it differs from the image output rate."""
    return PerToken(to_micros(text_input), to_micros(image_input), to_micros(image_output), output_tokens,
                    input_image_tokens, to_micros(text_output) if text_output is not None else None)


def from_config(config: PriceConfig, shipped: Price | None) -> Price:
    """A ``[prices."<model>"]`` table → its calculator (the config model has checked its shape). A token price
    without its own ``output_tokens``/``input_image_tokens`` takes the shipped token price's."""
    if config.per_image is not None:
        table = config.per_image if isinstance(config.per_image, dict) else {"*": config.per_image}
        return PerImage({key: to_micros(value) for key, value in table.items()})
    assert config.text_input is not None and config.image_input is not None and config.image_output is not None
    base = shipped if isinstance(shipped, PerToken) else None
    output_tokens = config.output_tokens or (base.output_tokens if base is not None else None)
    if not output_tokens:
        raise ValueError("a token price needs output_tokens (\"SIZE/QUALITY\" = tokens per image) for budget holds")
    input_image_tokens = config.input_image_tokens if config.input_image_tokens is not None else \
        (base.input_image_tokens if base is not None else 0)
    text_output = to_micros(config.text_output) if config.text_output is not None else \
        (base.text_output if base is not None else None)
    return PerToken(to_micros(config.text_input), to_micros(config.image_input), to_micros(config.image_output),
                    output_tokens, input_image_tokens, text_output)

