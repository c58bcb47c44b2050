"""An S3 server on loopback for tests: moto's, in a thread of the test process, on a free port.

``moto_s3()`` starts it with fake credentials and yields an :class:`S3` with the endpoint, the AWS
variables a gateway (or obstore) needs to reach it, and a boto3 client to look inside the bucket.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class S3:
    endpoint: str
    client: Any

    def env(self, endpoint: str | None = None) -> dict[str, str]:
        """The standard AWS variables pointing at this server (or at ``endpoint``)."""
        return {"AWS_ENDPOINT_URL": endpoint or self.endpoint, "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

    def bucket(self, name: str) -> str:
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        listed = self.client.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@contextmanager
def moto_s3() -> Iterator[S3]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        yield S3(endpoint, boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                                        aws_access_key_id="testing", aws_secret_access_key="testing"))
    finally:
        server.stop()
