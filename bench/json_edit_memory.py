"""Memory of a JSON edit: RSS growth of one gateway process while it takes a ~100 MB JSON body.

A real ``imagegate serve`` (started as the end-to-end tests start it) sits in front of the fake
OpenAI upstream. After a small warm-up edit, the gateway's peak RSS is reset (``/proc/PID/clear_refs``)
and one ``POST /v1/images/edits`` goes in with ``--images`` noise PNGs of ``--image-mb`` each as
base64 data URLs (OpenAI's JSON form). The peak RSS growth is the kernel's high-water mark
(``VmHWM``) minus the RSS before the request; an RSS sampled every 10 ms backs it up where the
reset is not allowed. ``--multipart`` also sends the same images as multipart, for reference. Last,
the median time of ``--small`` small JSON edits is printed.

Run from the repository root: ``python -m bench.json_edit_memory [--images 4] [--image-mb 18.7]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pybase64
from PIL import Image

from bench.harness.procs import hwm_mb, process_tree, rss_mb
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, Gateway, start_gateway, stop_gateway

AUTH = {"Authorization": f"Bearer {MASTER}"}
MB = 1024 * 1024


def noise_png(megabytes: float, seed: int) -> bytes:
    """An RGB noise PNG of about ``megabytes`` (noise does not compress)."""
    side = int((megabytes * MB / 3) ** 0.5)
    raw = random.Random(seed).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), raw).save(out, "PNG", compress_level=1)
    return out.getvalue()


def json_body(images: list[bytes]) -> bytes:
    urls = [{"image_url": "data:image/png;base64," + pybase64.b64encode(i).decode("ascii")} for i in images]
    return orjson.dumps({"model": "gpt-image-1", "prompt": "bench", "size": "1024x1024", "images": urls})


def chunks(body: bytes, size: int = MB) -> Iterator[bytes]:
    """The body in pieces: httpx sends one large ``bytes`` body slowly (its time grows with the square of the size)."""
    view = memoryview(body)
    return (bytes(view[i:i + size]) for i in range(0, len(body), size))


@contextlib.contextmanager
def gateway(upstream: FakeOpenAI, max_image_mb: int, max_body_mb: int) -> Iterator[Gateway]:
    env = {"OPENAI_API_KEY": upstream.api_key, "OPENAI_BASE_URL": upstream.base_url,
           "IMAGEGATE_UPSTREAM_TIMEOUT": "300", "IMAGEGATE_MAX_IMAGE_MB": str(max_image_mb),
           "IMAGEGATE_MAX_BODY_MB": str(max_body_mb)}
    with tempfile.TemporaryDirectory(prefix="imagegate-bench-") as tmp:
        gw = start_gateway(Path(tmp), env)
        try:
            yield gw
        finally:
            stop_gateway(gw)


def reset_peak(pids: list[int]) -> bool:
    """Reset the kernel's peak RSS of ``pids`` (``clear_refs`` 5); False where that is not allowed."""
    try:
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_growth(pid: int, send: Callable[[], httpx.Response]) -> tuple[float, float, httpx.Response]:
    """RSS before ``send()`` and the peak during it (MB), and its response."""
    pids = process_tree(pid)
    time.sleep(0.5)
    before = rss_mb(pids)
    can_reset = reset_peak(pids)
    sampled = before
    done = threading.Event()

    def sample() -> None:
        nonlocal sampled
        while not done.wait(0.01):
            sampled = max(sampled, rss_mb(pids))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        response = send()
    finally:
        done.set()
        sampler.join(5)
    peak = max(sampled, hwm_mb(pids)) if can_reset else sampled
    return before, peak, response


def measure(gw: Gateway, label: str, body_mb: float, send: Callable[[], httpx.Response]) -> None:
    started = time.perf_counter()
    before, peak, response = peak_growth(gw.process.pid, send)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text[:500]
    growth = peak - before
    print(f"{label}: body {body_mb:.1f} MB, RSS before {before:.1f} MB, peak RSS growth {growth:.1f} MB, "
          f"ratio {growth / body_mb:.2f}x, {seconds:.2f} s")


def small_edits(http: httpx.Client, count: int) -> None:
    """The median time of ``count`` small JSON edits (one 64x64 PNG: read whole, no spill file)."""
    body = json_body([noise_png(0.01, 98)])
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = http.post("/v1/images/edits", content=body, headers={"Content-Type": "application/json"})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    print(f"small JSON edit: body {len(body) / 1024:.1f} KB, median {statistics.median(times) * 1000:.2f} ms "
          f"over {count} requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=4, help="images in the edit (default 4)")
    parser.add_argument("--image-mb", type=float, default=18.7, help="size of each PNG in MB (default 18.7)")
    parser.add_argument("--multipart", action="store_true", help="also send the same images as multipart")
    parser.add_argument("--small", type=int, default=200, help="small JSON edits timed afterwards (default 200)")
    args = parser.parse_args()
    images = [noise_png(args.image_mb, seed) for seed in range(args.images)]
    body = json_body(images)
    max_image_mb, max_body_mb = max(25, int(args.image_mb) + 2), max(420, len(body) // MB + 1)
    with FakeOpenAI() as upstream, gateway(upstream, max_image_mb, max_body_mb) as gw, \
            httpx.Client(base_url=gw.url, headers=AUTH, timeout=600) as http:
        warm = http.post("/v1/images/edits", content=json_body([noise_png(0.01, 99)]),
                         headers={"Content-Type": "application/json"})
        assert warm.status_code == 200, warm.text
        measure(gw, "JSON edit", len(body) / MB, lambda: http.post(
            "/v1/images/edits", content=chunks(body),
            headers={"Content-Type": "application/json", "Content-Length": str(len(body))}))
        if args.multipart:
            files = [("image[]", (f"{i}.png", data, "image/png")) for i, data in enumerate(images)]
            total = sum(len(i) for i in images) / MB
            measure(gw, "multipart edit (reference)", total, lambda: http.post(
                "/v1/images/edits", data={"model": "gpt-image-1", "prompt": "bench", "size": "1024x1024"},
                files=files))
        small_edits(http, args.small)


if __name__ == "__main__":
    main()
