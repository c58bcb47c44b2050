"""The links a ``url`` answer carries: the gateway's own signed links (:class:`~.signing.Signer`, the
default, served by any node at ``/v1/files/images/...``), or with ``links = "presigned"`` the bucket's
own presigned GET links, valid as long (``url_ttl``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # obstore comes with the s3 extra
    from .s3 import S3ResultStore


class Links(Protocol):
    def url(self, name: str, now: float | None = None) -> str:
        """A link to the stored object ``name`` that expires ``url_ttl`` seconds from ``now``."""
        ...


class Presigned:
    def __init__(self, store: S3ResultStore, ttl: int) -> None:
        self.store, self.ttl = store, ttl

    def url(self, name: str, now: float | None = None) -> str:
        return self.store.presign(name, self.ttl)
