"""Results in an S3-compatible bucket (AWS, MinIO, R2, Ceph), through ``obstore`` (the ``s3`` extra).

``s3://bucket/prefix``: a node's results are ``prefix/results/<name>``, async jobs' results
``prefix/job-results/<name>``; every node with the same URL serves every link. The endpoint, region and
credentials are the standard AWS variables (``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``,
``AWS_REGION`` or ``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``); without keys, obstore's own chain (instance profile, web identity) applies.
A store that can't be reached fails within seconds (two retries, bounded timeouts), never minutes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import obstore
from obstore.exceptions import BaseError
from obstore.store import S3Store

from .base import ACTIVE_TYPES, CHUNK, NAME, StoredObject, content_type, new_name, unavailable

if TYPE_CHECKING:
    from obstore import Attributes, GetResult

RETRY: Any = {"max_retries": 2, "retry_timeout": timedelta(seconds=10),
              "backoff": {"init_backoff": timedelta(milliseconds=100), "max_backoff": timedelta(seconds=1),
                          "base": 2}}
CLIENT: Any = {"connect_timeout": timedelta(seconds=3), "timeout": timedelta(seconds=60)}
CREDENTIALS = {"access_key_id": "AWS_ACCESS_KEY_ID", "secret_access_key": "AWS_SECRET_ACCESS_KEY",
               "session_token": "AWS_SESSION_TOKEN"}


def s3_config(environ: Mapping[str, str]) -> Any:
    """obstore's S3 settings from the standard AWS variables in ``environ``."""
    config: dict[str, Any] = {"region": environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        config["endpoint"] = endpoint.rstrip("/")
    config |= {key: environ[var] for key, var in CREDENTIALS.items() if environ.get(var)}
    return config


async def _pieces(result: GetResult) -> AsyncIterator[bytes]:
    async for piece in result.stream(min_chunk_size=CHUNK):
        yield bytes(piece)


def _attributes(name: str) -> Attributes:
    """What the bucket itself answers with (a presigned link bypasses the gateway's headers)."""
    kind = content_type(name)
    if kind in ACTIVE_TYPES:
        return {"Content-Type": kind, "Content-Disposition": f'attachment; filename="{name}"'}
    return {"Content-Type": kind}


def bucket_client(bucket: str, prefix: str, environ: Mapping[str, str]) -> S3Store:
    config = s3_config(environ)
    client: Any = {**CLIENT, "allow_http": str(config.get("endpoint", "")).startswith("http://")}
    return S3Store(bucket, prefix=prefix, config=config, client_options=client, retry_config=RETRY)


async def _delete_all(client: S3Store, prefix: str | None = None) -> int:
    removed = 0
    async for batch in obstore.list(client, prefix, chunk_size=1000):
        await obstore.delete_async(client, [meta["path"] for meta in batch])
        removed += len(batch)
    return removed


class S3ResultStore:
    def __init__(self, bucket: str, prefix: str, environ: Mapping[str, str]) -> None:
        self.bucket, self.prefix = bucket, prefix
        self.client = bucket_client(bucket, prefix, environ)

    async def put(self, data: bytes, ext: str) -> str:
        name = new_name(ext)
        try:
            await obstore.put_async(self.client, name, data, attributes=_attributes(name))
        except (BaseError, OSError) as exc:
            raise unavailable() from exc
        return name

    async def head(self, name: str) -> StoredObject | None:
        if not NAME.match(name):
            return None
        try:
            meta = await obstore.head_async(self.client, name)
        except FileNotFoundError:  # obstore's NotFoundError is one
            return None
        except (BaseError, OSError) as exc:
            raise unavailable() from exc
        return StoredObject(name, meta["size"], meta["e_tag"] or f'"{meta["size"]:x}"')

    async def open(self, name: str, start: int, end: int) -> AsyncIterator[bytes] | None:
        if not NAME.match(name):
            return None
        try:
            result = await obstore.get_async(self.client, name, options={"range": (start, end)})
        except FileNotFoundError:
            return None
        except (BaseError, OSError) as exc:
            raise unavailable() from exc
        return _pieces(result)

    async def delete(self, names: list[str]) -> None:
        if names:
            await obstore.delete_async(self.client, names)

    async def sweep(self, max_age: float) -> int:
        cutoff = time.time() - max_age
        removed = 0
        async for batch in obstore.list(self.client, chunk_size=1000):
            old = [meta["path"] for meta in batch if meta["last_modified"].timestamp() < cutoff]
            await self.delete(old)
            removed += len(old)
        return removed

    async def probe(self) -> None:
        """The bucket answers (a lookup of a name no result has; "not found" is an answer)."""
        try:
            await obstore.head_async(self.client, ".probe")
        except FileNotFoundError:
            return
        except (BaseError, OSError) as exc:
            raise unavailable() from exc

    def presign(self, name: str, ttl: int) -> str:
        """The bucket's own signed GET link for ``name``, valid ``ttl`` seconds (no network call)."""
        return obstore.sign(self.client, "GET", name, timedelta(seconds=ttl))


class S3Uploads:
    """Async jobs' uploads in the bucket (``prefix/job-inputs/<job id>/input<n>``), for workers on any node."""

    def __init__(self, bucket: str, prefix: str, environ: Mapping[str, str]) -> None:
        self.client = bucket_client(bucket, prefix, environ)

    async def keep(self, job_id: str, folder: Path) -> None:
        try:
            for path in sorted(folder.iterdir()):
                await obstore.put_async(self.client, f"{job_id}/{path.name}", path)
        except (BaseError, OSError) as exc:
            with contextlib.suppress(BaseError, OSError):
                await self.drop(job_id)
            raise unavailable() from exc

    async def _fetch(self, key: str, target: Path) -> None:
        part = target.with_name(f".{target.name}.part")
        result = await obstore.get_async(self.client, key)
        async with await anyio.open_file(part, "wb") as out:
            async for piece in result.stream(min_chunk_size=CHUNK):
                await out.write(piece)
        part.replace(target)

    async def fetch(self, job_id: str, folder: Path, names: list[str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            for name in names:
                if not (folder / name).exists():
                    await self._fetch(f"{job_id}/{name}", folder / name)
        except (BaseError, OSError) as exc:
            raise unavailable() from exc

    async def drop(self, job_id: str) -> None:
        await _delete_all(self.client, job_id)
