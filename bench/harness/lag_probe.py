"""Event-loop lag seen from outside: GET a gateway's cheap liveness path every `--interval` seconds over one
kept-alive connection and time each answer.

First `--idle` seconds of probes are the baseline: printed as "IDLE " + JSON as soon as they are done. Then
it keeps probing until SIGTERM or SIGINT (or `--max-seconds`), and prints "BENCH_JSON " + JSON of the probes
after the baseline. A probe that takes longer than the interval delays the next one (no catch-up burst), so a
stalled loop shows as a few long probes, not many.

Run (from bench/): python -m harness.lag_probe --url http://127.0.0.1:P/healthz
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time
from dataclasses import dataclass, field

import aiohttp

from .edit_client import percentile
from .nofile import run_loop

WORST = 8  # the longest probes are reported with the time they were sent


@dataclass
class Probes:
    latencies: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # epoch seconds, one per latency
    errors: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        lat = sorted(self.latencies)
        pcts = {p: round(percentile(lat, v), 2) for p, v in (("p50", 50), ("p90", 90), ("p99", 99))}
        worst = sorted(zip(self.latencies, self.sent_at, strict=True), reverse=True)[:WORST]
        return {"probes": len(lat), "errors": self.errors, "ms": pcts | {"max": round(lat[-1], 2) if lat else 0.0},
                "worst": [{"sent_at": round(at, 3), "ms": round(ms, 2)} for ms, at in worst]}


async def probe_once(session: aiohttp.ClientSession, url: str, into: Probes) -> None:
    start, sent_at = time.perf_counter(), time.time()
    try:
        async with session.get(url) as resp:
            await resp.read()
            status = resp.status
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        into.errors[type(exc).__name__] = into.errors.get(type(exc).__name__, 0) + 1
        return
    if status == 200:
        into.latencies.append((time.perf_counter() - start) * 1000)
        into.sent_at.append(sent_at)
    else:
        into.errors[f"HTTP {status}"] = into.errors.get(f"HTTP {status}", 0) + 1


async def probe_until(session: aiohttp.ClientSession, url: str, interval: float, until: float,
                      stop: asyncio.Event, into: Probes) -> None:
    """Probe every `interval` seconds until the monotonic time `until` or `stop` is set."""
    next_at = time.monotonic()
    while not stop.is_set() and time.monotonic() < until:
        await probe_once(session, url, into)
        next_at = max(next_at + interval, time.monotonic())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, next_at - time.monotonic()))


async def run(args: argparse.Namespace) -> dict[str, object]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    connector = aiohttp.TCPConnector(limit=1, keepalive_timeout=3600)
    timeout = aiohttp.ClientTimeout(total=args.probe_timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False) as session:
        idle = Probes()
        await probe_until(session, args.url, args.interval, time.monotonic() + args.idle, stop, idle)
        print("IDLE " + json.dumps(idle.summary()), flush=True)
        busy = Probes()
        started = time.monotonic()
        await probe_until(session, args.url, args.interval, started + args.max_seconds, stop, busy)
        return busy.summary() | {"seconds": round(time.monotonic() - started, 2), "idle": idle.summary()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="liveness URL (imagegate /healthz, litellm /health/liveliness)")
    p.add_argument("--interval", type=float, default=0.05, help="seconds between probes")
    p.add_argument("--idle", type=float, default=3.0, help="seconds of baseline probes before the run")
    p.add_argument("--max-seconds", type=float, default=900.0, help="stop on its own after this long")
    p.add_argument("--probe-timeout", type=float, default=60.0)
    print("BENCH_JSON " + json.dumps(run_loop(run(p.parse_args()))), flush=True)


if __name__ == "__main__":
    main()
