"""Bearer key → principal, with the key's limits. Keys are checked against their hashes, with a short cache.

A cached principal is reused for ``key_cache_ttl`` seconds, so a revocation or a changed limit
takes effect on other nodes within that time (at once on the node that made the change).
Expiry is checked on every request.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import PermissionDenied, Unauthorized
from .ledger import KeyRecord, Keys
from .ledger.keys import hash_key


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: int | None
    name: str
    is_master: bool = False
    key_hash: str = ""
    models: frozenset[str] | None = None
    rpm: int | None = None
    budgeted: bool = False
    expires_at: datetime | None = None

    def check_model(self, model_id: str) -> None:
        """403 ``model_not_allowed`` unless the key's allow-list (if any) names ``model_id``."""
        if self.models is not None and model_id not in self.models:
            raise PermissionDenied(f"This API key may not use the model '{model_id}'.", param="model",
                                   code="model_not_allowed")


MASTER = Principal(None, "master", is_master=True)
SCOPE_PRINCIPAL = "imagegate.principal"  # set in the ASGI scope by the console's proxy only; no client can set it


def bearer(header: str | None) -> str:
    if not header:
        raise Unauthorized("You didn't provide an API key. Send 'Authorization: Bearer <key>'.")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("The Authorization header must be 'Bearer <key>'.")
    return key


def _principal(record: KeyRecord, key_hash: str) -> Principal:
    return Principal(
        record.id, record.name, key_hash=key_hash, rpm=record.rpm, budgeted=record.budget_micros is not None,
        models=frozenset(record.models) if record.models is not None else None, expires_at=record.expires_at,
    )


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
        principal = cached[1] if cached is not None and cached[0] > now else await self._load(key, now)
        if principal.expires_at is not None and principal.expires_at <= datetime.now(UTC):
            raise Unauthorized(f"This API key expired at {principal.expires_at:%Y-%m-%d %H:%M:%S} UTC.")
        return principal

    async def principal_of(self, key_id: int | None, is_master: bool) -> Principal:
        """The principal of a stored request (an async job) as it is now: its key's current limits, or 401 if
        the key has since been revoked or has expired."""
        if is_master:
            return MASTER
        record = await self.keys.get(str(key_id)) if key_id is not None else None
        if record is None or not record.active:
            raise Unauthorized("The API key that created this job has been revoked.")
        principal = _principal(record, "")
        if principal.expires_at is not None and principal.expires_at <= datetime.now(UTC):
            raise Unauthorized(f"This API key expired at {principal.expires_at:%Y-%m-%d %H:%M:%S} UTC.")
        return principal

    async def _load(self, key: str, now: float) -> Principal:
        record = await self.keys.lookup(key)
        if record is None or not record.active:
            self._cache.pop(key, None)
            message = "This API key has been revoked." if record is not None else "Incorrect API key provided."
            raise Unauthorized(message)
        principal = _principal(record, hash_key(key))
        if self.cache_ttl > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now + self.cache_ttl, principal)
        return principal
