"""Size and aspect-ratio arithmetic: ``"WxH"`` and ``"W:H"`` strings, nearest matches by log ratio."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

_SIZE = re.compile(r"^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$")
_RATIO = re.compile(r"^([1-9][0-9]{0,3}(?:\.[0-9]{1,3})?):([1-9][0-9]{0,3}(?:\.[0-9]{1,3})?)$")


def parse_size(value: str) -> tuple[int, int] | None:
    """``"1024x1536"`` → ``(1024, 1536)``; anything else → ``None``."""
    m = _SIZE.match(value)
    return (int(m[1]), int(m[2])) if m else None


def parse_ratio(value: str) -> float | None:
    """``"16:9"`` → ``1.777…`` (width / height); anything else → ``None``."""
    m = _RATIO.match(value)
    return float(m[1]) / float(m[2]) if m else None


def _distance(a: float, b: float) -> float:
    return abs(math.log(a) - math.log(b))


def nearest_size(ratio: float, sizes: Iterable[str]) -> str:
    """The ``WxH`` whose width/height is closest to ``ratio`` on a log scale (largest on ties)."""

    def key(size: str) -> tuple[float, int]:
        w, h = parse_size(size) or (1, 1)
        return (round(_distance(w / h, ratio), 9), -w * h)

    return min(sizes, key=key)


def nearest_ratio(width: int, height: int, ratios: Iterable[str]) -> str:
    """The ``W:H`` string closest to ``width/height`` on a log scale."""
    target = width / height
    return min(ratios, key=lambda r: _distance(parse_ratio(r) or 1.0, target))
