"""Async S3 clients for the result store, side by side: ``obstore`` and ``aioboto3``.

Against a local ``moto`` S3 server on loopback: the median time of a put and of a get (read whole, and
streamed in chunks) of one 2 MB image, and the cost of importing each client in a fresh interpreter
(wall time and the growth of the process's RSS). Run from the repository root:
``python -m bench.storage_clients`` (needs ``pip install obstore aioboto3 'moto[server]'``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

BUCKET = "bench"
IMPORTS = {
    "obstore": "import obstore; from obstore.store import S3Store",
    "aioboto3": "import aioboto3; aioboto3.Session().client",
}
MEASURE = """
import resource, time
def rss():
    return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])
before, t = rss(), time.perf_counter()
{code}
print(round((time.perf_counter() - t) * 1000, 1), rss() - before)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def import_cost(code: str, runs: int) -> tuple[float, float]:
    """Median milliseconds and KiB of RSS to import a client, each in a fresh interpreter."""
    samples = [subprocess.run([sys.executable, "-c", MEASURE.format(code=code)], capture_output=True, text=True,
                              check=True, timeout=120).stdout.split() for _ in range(runs)]
    return statistics.median(float(s[0]) for s in samples), statistics.median(float(s[1]) for s in samples)


async def timed(action: Callable[[], Awaitable[Any]], runs: int) -> float:
    await action()  # warm: connection pool, credentials
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def bench_obstore(endpoint: str, blob: bytes, runs: int) -> dict[str, float]:
    import obstore
    from obstore.store import S3Store

    store = S3Store(BUCKET, endpoint=endpoint, region="us-east-1", client_options={"allow_http": True})

    async def streamed() -> int:
        result = await obstore.get_async(store, "obstore.png")
        return sum([len(chunk) async for chunk in result.stream(min_chunk_size=256 * 1024)])

    async def whole() -> bytes:
        return bytes(await (await obstore.get_async(store, "obstore.png")).bytes_async())

    return {"put": await timed(lambda: obstore.put_async(store, "obstore.png", blob), runs),
            "get": await timed(whole, runs), "get streamed": await timed(streamed, runs)}


async def bench_aioboto3(endpoint: str, blob: bytes, runs: int) -> dict[str, float]:
    import aioboto3

    async with aioboto3.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1") as s3:
        async def streamed() -> int:
            body = (await s3.get_object(Bucket=BUCKET, Key="aioboto3.png"))["Body"]
            return sum([len(chunk) async for chunk in body.iter_chunks(256 * 1024)])

        async def whole() -> bytes:
            body = (await s3.get_object(Bucket=BUCKET, Key="aioboto3.png"))["Body"]
            return bytes(await body.read())

        return {"put": await timed(lambda: s3.put_object(Bucket=BUCKET, Key="aioboto3.png", Body=blob), runs),
                "get": await timed(whole, runs), "get streamed": await timed(streamed, runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="timed operations per figure (median)")
    parser.add_argument("--import-runs", type=int, default=5, help="fresh interpreters per import figure")
    args = parser.parse_args()
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
        blob = os.urandom(2 * 1024 * 1024)
        ops = {"obstore": asyncio.run(bench_obstore(endpoint, blob, args.runs)),
               "aioboto3": asyncio.run(bench_aioboto3(endpoint, blob, args.runs))}
    finally:
        server.stop()
    print(f"2 MB object, moto on loopback, median of {args.runs}; import: median of {args.import_runs} "
          f"fresh interpreters, Python {sys.version.split()[0]}")
    print(f"{'client':10} {'put ms':>8} {'get ms':>8} {'stream ms':>10} {'import ms':>10} {'import RSS MiB':>15}")
    for name, figures in ops.items():
        ms, kib = import_cost(IMPORTS[name], args.import_runs)
        print(f"{name:10} {figures['put']:8.1f} {figures['get']:8.1f} {figures['get streamed']:10.1f} "
              f"{ms:10.1f} {kib / 1024:15.1f}")


if __name__ == "__main__":
    main()
