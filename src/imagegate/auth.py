"""Bearer key → principal. Keys are checked against their hashes, with a short in-memory cache."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

from .errors import Unauthorized
from .ledger import KeyRecord, Keys


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: int | None
    name: str
    is_master: bool = False


MASTER = Principal(None, "master", is_master=True)


def bearer(header: str | None) -> str:
    if not header:
        raise Unauthorized("You didn't provide an API key. Send 'Authorization: Bearer <key>'.")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("The Authorization header must be 'Bearer <key>'.")
    return key


class Authenticator:
    def __init__(self, keys: Keys, master_key: str | None, cache_ttl: float) -> None:
        self.keys = keys
        self.master_key = master_key.encode() if master_key else None
        self.cache_ttl = cache_ttl
        self._cache: dict[str, tuple[float, Principal]] = {}

    def forget(self) -> None:
        self._cache.clear()

    async def authenticate(self, header: str | None) -> Principal:
        key = bearer(header)
        if self.master_key is not None and hmac.compare_digest(key.encode(), self.master_key):
            return MASTER
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        record = await self.keys.lookup(key)
        if record is None or not record.active:
            self._cache.pop(key, None)
            raise Unauthorized("Incorrect API key provided.")
        principal = self._principal(record)
        if self.cache_ttl > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now + self.cache_ttl, principal)
        return principal

    @staticmethod
    def _principal(record: KeyRecord) -> Principal:
        return Principal(record.id, record.name)
