"""Async multipart load client for POST /v1/images/edits (httpx), standalone script.

Closed loop: `--concurrency` workers each send one request at a time until `--seconds` pass or
`--max-requests` have been sent in total. The multipart body is encoded once up front, so the client
spends its CPU on HTTP, not on re-encoding. Prints one JSON line (prefixed "BENCH_JSON ") with
request counts, requests/s and latency percentiles in milliseconds.

Example:
  python bench/harness/edit_client.py --url http://127.0.0.1:8000/v1/images/edits --key sk-x \
      --image bench/.work/data/uploads/image_1mb.png --concurrency 16 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    bytes_in: int = 0


def multipart_body(
    fields: dict[str, str], image: bytes, copies: int, boundary: str | None = None
) -> tuple[bytes, str]:
    """Encode form fields plus `copies` PNG parts (`image`, or `image[]` when several)."""
    boundary = boundary or uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    name = "image" if copies == 1 else "image[]"
    for i in range(copies):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="image{i}.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        )
        parts.extend([head.encode(), image, b"\r\n"])
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def worker(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    deadline: float,
    budget: list[int],
    tally: Tally,
) -> None:
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        tally.sent += 1
        start = time.perf_counter()
        try:
            resp = await client.post(url, content=body, headers=headers)
            payload = await resp.aread()
        except httpx.HTTPError as exc:
            key = type(exc).__name__
            tally.errors[key] = tally.errors.get(key, 0) + 1
            continue
        elapsed = time.perf_counter() - start
        key = str(resp.status_code)
        tally.statuses[key] = tally.statuses.get(key, 0) + 1
        tally.bytes_in += len(payload)
        if 200 <= resp.status_code < 300:
            tally.latencies.append(elapsed * 1000)


async def run(args: argparse.Namespace) -> dict[str, object]:
    image = Path(args.image).read_bytes()
    fields = {
        "model": args.model,
        "prompt": args.prompt,
        "size": args.size,
        "response_format": args.response_format,
    }
    body, ctype = multipart_body(fields, image, args.images)
    headers = {"Content-Type": ctype, "Authorization": f"Bearer {args.key}"}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    timeout = httpx.Timeout(args.timeout)
    tally, budget = Tally(), [args.max_requests]
    async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False) as client:
        started = time.monotonic()
        deadline = started + args.seconds
        jobs = [
            worker(client, args.url, body, headers, deadline, budget, tally) for _ in range(args.concurrency)
        ]
        await asyncio.wait_for(asyncio.gather(*jobs), timeout=args.seconds + args.timeout + 30)
        duration = time.monotonic() - started
    lat = sorted(tally.latencies)
    return {
        "requests": tally.sent,
        "ok": len(lat),
        "statuses": tally.statuses,
        "errors": tally.errors,
        "duration_s": round(duration, 3),
        "rps": round(len(lat) / duration, 2) if duration > 0 else 0.0,
        "request_bytes": len(body),
        "response_bytes": tally.bytes_in,
        "latency_ms": {
            "p50": percentile(lat, 50),
            "p95": percentile(lat, 95),
            "p99": percentile(lat, 99),
            "mean": sum(lat) / len(lat) if lat else 0.0,
            "max": lat[-1] if lat else 0.0,
        },
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--key", default="")
    p.add_argument("--image", required=True, help="PNG file to upload")
    p.add_argument("--images", type=int, default=1, help="how many copies of the image per request")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--max-requests", type=int, default=1_000_000)
    p.add_argument("--timeout", type=float, default=120.0, help="per-request timeout, seconds")
    p.add_argument("--model", default="gpt-image-1")
    p.add_argument("--prompt", default="add a small red hat")
    p.add_argument("--size", default="1024x1024")
    p.add_argument("--response-format", default="b64_json")
    return p.parse_args(argv)


def main() -> None:
    result = asyncio.run(run(parse_args()))
    print("BENCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
