"""The result stores a gateway runs on, chosen by ``storage_url``.

=========================  =====================================================================
``storage_url``            where results go
=========================  =====================================================================
unset (the default)        ``<data_dir>/results`` and ``<data_dir>/job-results`` on this node's disk
``file:///srv/imagegate``  ``/srv/imagegate/results`` and ``/srv/imagegate/job-results``
``s3://bucket/prefix``     ``prefix/results/...`` and ``prefix/job-results/...`` in the bucket
=========================  =====================================================================

With S3, async jobs' uploads are kept in ``prefix/job-inputs/<job id>/`` too, for a worker on any node.

Synchronous requests' results are swept after ``url_ttl``, async jobs' after ``job_ttl``: two stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Settings
from ..extras import s3_client
from .base import Mirror, ResultStore
from .links import Links, Presigned
from .local import LocalStore
from .signing import Signer

FOLDERS = ("results", "job-results")


@dataclass(frozen=True, slots=True)
class Stores:
    results: ResultStore
    job_results: ResultStore
    links: Links
    job_links: Links
    job_inputs: Mirror | None = None


def _join(prefix: str, folder: str) -> str:
    return f"{prefix}/{folder}" if prefix else folder


def open_stores(settings: Settings, signer: Signer, environ: Mapping[str, str]) -> Stores:
    """The stores and links ``settings`` name (the settings were checked when they were loaded)."""
    url = settings.storage_url or ""
    if not url.startswith("s3://"):
        root = Path(url.removeprefix("file://")) if url else settings.data_dir
        local = [LocalStore(root / folder) for folder in FOLDERS]
        return Stores(local[0], local[1], signer, signer)
    s3_client()
    from .s3 import S3ResultStore, S3Uploads  # obstore is imported only when it is used

    parts = urlsplit(url)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    remote = [S3ResultStore(bucket, _join(prefix, folder), environ) for folder in FOLDERS]
    inputs = S3Uploads(bucket, _join(prefix, "job-inputs"), environ)
    if settings.links == "presigned":
        return Stores(remote[0], remote[1], Presigned(remote[0], settings.url_ttl),
                      Presigned(remote[1], settings.url_ttl), inputs)
    return Stores(remote[0], remote[1], signer, signer, inputs)
