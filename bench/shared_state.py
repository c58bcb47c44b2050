"""Shared channel state across three nodes: how long a cooldown takes to reach the other nodes.

Three ``imagegate serve`` processes on one PostgreSQL database and the machine's Redis, two fake
OpenAI upstreams as a primary and a backup channel. Each round makes the primary fail on node A
(one failure cools it), then times, from A's answer, until nodes B and C report the primary
``cooling`` in ``/admin/channels/primary`` (polled every 10 ms); a reload of A then resets it.

    python bench/shared_state.py [--rounds 20] [--interval 0.25]

Prints the propagation time's median, p95 and maximum in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.channels import channel, write_config
from tests.fakes.openai_upstream import FakeOpenAI
from tests.fleet.shared_tools import fleet
from tests.harness import MASTER, Gateway

HEADERS = {"Authorization": f"Bearer {MASTER}"}


def state(gateway: Gateway) -> str:
    answer = httpx.get(f"{gateway.url}/admin/channels/primary", headers=HEADERS, timeout=5).json()
    return str(answer["state"])


def until(check: object, timeout: float = 10.0) -> float:
    """Seconds until ``check()`` holds (polled every 10 ms)."""
    start = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - start > timeout:
            raise SystemExit("gave up waiting")
        time.sleep(0.01)
    return time.monotonic() - start


def round_trip(primary: FakeOpenAI, a: Gateway, others: list[Gateway]) -> float:
    primary.fail_next("status", status=500)
    body = {"model": "gpt-image-1", "prompt": "bench"}
    assert httpx.post(f"{a.url}/v1/images/generations", json=body, headers=HEADERS, timeout=30).status_code == 200
    took = until(lambda: all(state(node) == "cooling" for node in others))
    assert httpx.post(f"{a.url}/admin/reload", headers=HEADERS, timeout=30).status_code == 200
    until(lambda: all(state(node) == "healthy" for node in [a, *others]))
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as primary, FakeOpenAI() as backup:
        path = Path(tmp)
        config = write_config(path / "imagegate.toml", channel("primary", primary, priority=1),
                              channel("backup", backup), allowed_fails=1, cooldown=600, max_attempts=2,
                              retry_backoff=0.01)
        with fleet(path, config, {"IMAGEGATE_SHARED_INTERVAL": str(args.interval)}) as (a, b, c):
            times = sorted(round_trip(primary, a, [b, c]) * 1000 for _ in range(args.rounds))
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"cooldown propagation to 2 other nodes, shared_interval {args.interval} s, {args.rounds} rounds: "
          f"median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, max {times[-1]:.0f} ms")


if __name__ == "__main__":
    main()
