"""A fake OpenAI image upstream that takes its time: every answer comes `--delay` seconds after the request.

Answers POST `.../images/generations` and POST `.../images/edits` under any prefix (so `/slow/v1/...` works
as a base URL) with the prepared gpt-image-1 body (`--body`, one of make_bodies.py's files): it reads the
whole request body, sleeps, then sends the JSON. Thousands of requests can wait at once: RLIMIT_NOFILE is
raised to the hard limit and the listen backlog is 8192 (capped by net.core.somaxconn).

Bench-only endpoints:
  GET /stats                 {"received", "in_flight", "peak_in_flight", "answered", "bytes_in", "delay",
                              "first_received", "last_received", "last_answered" (epoch seconds)}
  GET /control?delay=S       set the delay (seconds) and zero the counters; answers the new stats
  GET /healthz               200

Run: python -m harness.slow_upstream --port P --body data/bodies/small/v1/images/generations [--delay 20]
(from bench/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from aiohttp import web

from .nofile import raise_nofile, run_loop

BACKLOG = 8192
READ_CHUNK = 256 * 1024


@dataclass
class Stats:
    delay: float
    received: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    answered: int = 0
    bytes_in: int = 0
    first_received: float = 0.0  # epoch seconds, for lining up with the client's clock
    last_received: float = 0.0
    last_answered: float = 0.0

    def reset(self, delay: float) -> None:
        self.delay = delay
        self.received = self.peak_in_flight = self.answered = self.bytes_in = 0
        self.first_received = self.last_received = self.last_answered = 0.0


STATS: web.AppKey[Stats] = web.AppKey("stats", Stats)
BODY: web.AppKey[bytes] = web.AppKey("body", bytes)


async def read_all(request: web.Request) -> int:
    """Read and drop the request body; returns its length."""
    total = 0
    while chunk := await request.content.read(READ_CHUNK):
        total += len(chunk)
    return total


async def image(request: web.Request) -> web.StreamResponse:
    stats = request.app[STATS]
    stats.received += 1
    stats.last_received = time.time()
    stats.first_received = stats.first_received or stats.last_received
    stats.in_flight += 1
    stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
    try:
        stats.bytes_in += await read_all(request)
        await asyncio.sleep(stats.delay)
        body = request.app[BODY].replace(b'"created":1717200000', f'"created":{int(time.time())}'.encode(), 1)
        stats.answered += 1
        stats.last_answered = time.time()
        return web.Response(body=body, content_type="application/json")
    finally:
        stats.in_flight -= 1


async def stats_view(request: web.Request) -> web.Response:
    return web.json_response(asdict(request.app[STATS]))


async def control(request: web.Request) -> web.Response:
    stats = request.app[STATS]
    stats.reset(float(request.query.get("delay", stats.delay)))
    return web.json_response(asdict(stats))


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def make_app(body: bytes, delay: float) -> web.Application:
    app = web.Application(client_max_size=1024**3)
    app[STATS] = Stats(delay=delay)
    app[BODY] = body
    app.router.add_post("/{prefix:.*}images/generations", image)
    app.router.add_post("/{prefix:.*}images/edits", image)
    app.router.add_get("/stats", stats_view)
    app.router.add_get("/control", control)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(args: argparse.Namespace) -> None:
    app = make_app(Path(args.body).read_bytes(), args.delay)
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=300)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=BACKLOG)
    await site.start()
    print(json.dumps({"listening": args.port, "nofile": raise_nofile()}), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--body", required=True, help="JSON file to answer with")
    p.add_argument("--delay", type=float, default=20.0, help="seconds before each answer")
    args = p.parse_args()
    raise_nofile()
    run_loop(serve(args))


if __name__ == "__main__":
    main()
