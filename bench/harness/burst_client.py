"""Fire N image requests at once, each on its own connection, and wait for every answer (aiohttp).

`--kind gens`: JSON `{"model", "prompt", "size", "quality"}` to `<base>/v1/images/generations`;
`--kind edits`: multipart (`model`, `prompt`, one PNG as `image`) to `<base>/v1/images/edits`, the body
encoded once up front. All N requests start together; connections are not shared or limited, so N
connections are open at the same time. Prints one line, "BENCH_JSON " + a JSON summary: ok, errors by
status or exception, wall time from the first send to the last answer, when the last connection was
made, and latency percentiles (ms, of the 2xx answers).

Run (from bench/): python -m harness.burst_client --base http://127.0.0.1:P --key K --kind gens --n 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp

from .edit_client import multipart_body, percentile
from .nofile import raise_nofile, run_loop

PROMPT = "a lighthouse on a cliff at dusk, oil painting"
ERROR_SAMPLES = 3


@dataclass
class Tally:
    t0: float = 0.0
    t0_epoch: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    last_answer: float = 0.0
    last_connected: float = 0.0
    connections: int = 0

    def error(self, key: str, sample: str) -> None:
        self.errors[key] = self.errors.get(key, 0) + 1
        if len(self.error_samples) < ERROR_SAMPLES:
            self.error_samples.append(f"{key}: {sample[:300]}")


def request_body(args: argparse.Namespace) -> tuple[str, bytes, dict[str, str]]:
    """(url, body, headers) of the one request every task sends."""
    auth = {"Authorization": f"Bearer {args.key}"}
    if args.kind == "gens":
        payload = {"model": args.model, "prompt": PROMPT, "size": "1024x1024", "quality": "low"}
        headers = {**auth, "Content-Type": "application/json"}
        return f"{args.base}/v1/images/generations", json.dumps(payload).encode(), headers
    fields = {"model": args.model, "prompt": PROMPT, "size": "1024x1024", "quality": "low"}
    body, ctype = multipart_body(fields, Path(args.image).read_bytes(), 1)
    return f"{args.base}/v1/images/edits", body, {**auth, "Content-Type": ctype}


async def one(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], tally: Tally) -> None:
    start = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as resp:
            payload = await resp.read()
            status = resp.status
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        tally.error(type(exc).__name__, str(exc))
        return
    end = time.perf_counter()
    tally.last_answer = max(tally.last_answer, end)
    if 200 <= status < 300:
        tally.latencies.append((end - start) * 1000)
    else:
        tally.error(f"HTTP {status}", payload.decode(errors="replace"))


def trace_connections(tally: Tally) -> aiohttp.TraceConfig:
    """Note when each new connection is established (the last one tells when all N were in)."""
    async def created(session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any) -> None:
        tally.connections += 1
        tally.last_connected = max(tally.last_connected, time.perf_counter())

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(created)
    return trace


def summary(args: argparse.Namespace, tally: Tally, body_bytes: int) -> dict[str, object]:
    lat = sorted(tally.latencies)
    return {
        "kind": args.kind,
        "n": args.n,
        "ok": len(lat),
        "errors": tally.errors,
        "error_samples": tally.error_samples,
        "request_bytes": body_bytes,
        "connections": tally.connections,
        "t0_epoch": tally.t0_epoch,
        "all_connected_s": round(tally.last_connected - tally.t0, 3) if tally.last_connected else None,
        "wall_s": round(tally.last_answer - tally.t0, 3) if tally.last_answer else None,
        "latency_ms": {p: round(percentile(lat, v), 1) for p, v in (("p50", 50), ("p90", 90), ("p99", 99))}
        | {"max": round(lat[-1], 1) if lat else 0.0, "min": round(lat[0], 1) if lat else 0.0},
    }


async def run(args: argparse.Namespace) -> dict[str, object]:
    url, body, headers = request_body(args)
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False,
                                     trace_configs=[trace_connections(tally)]) as session:
        tally.t0, tally.t0_epoch = time.perf_counter(), time.time()
        tasks = [one(session, url, body, headers, tally) for _ in range(args.n)]
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=args.timeout + 30)
    return summary(args, tally, len(body))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="gateway base URL, e.g. http://127.0.0.1:8080")
    p.add_argument("--key", default="")
    p.add_argument("--kind", choices=("gens", "edits"), required=True)
    p.add_argument("--n", type=int, required=True, help="requests, all at once")
    p.add_argument("--image", default="", help="PNG to upload (edits)")
    p.add_argument("--model", default="gpt-image-1")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
    return p.parse_args(argv)


def main() -> None:
    args = parse_args()
    raise_nofile()
    print("BENCH_JSON " + json.dumps(run_loop(run(args))), flush=True)


if __name__ == "__main__":
    main()
