"""Byte ranges on result links: one range is served, several get the whole object, a bad one is a 416."""

from __future__ import annotations

import pytest

from imagegate.store.ranges import RangeNotSatisfiable, byte_range


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("bytes=0-0", (0, 1)), ("bytes=10-19", (10, 20)), ("bytes=90-", (90, 100)),
    ("bytes=90-500", (90, 100)), ("bytes=-5", (95, 100)), ("bytes=-500", (0, 100)), ("BYTES = 1 - 2", (1, 3)),
    ("bytes=0-1,5-6", None),
])
def test_ranges_served(header: str | None, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=5-1", "bytes=-0", "bytes=-", "items=0-1",
                                    "bytes=a-b", ""])
def test_bad_ranges_are_416_with_the_size(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as err:
        byte_range(header, 100)
    assert err.value.status == 416 and err.value.code == "range_not_satisfiable"
    assert err.value.headers == {"Content-Range": "bytes */100"}
