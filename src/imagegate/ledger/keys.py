"""Client API keys: created once (shown once), stored as SHA-256 hashes, looked up by hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from .db import Database
from .tables import api_keys

KEY_PREFIX = "ig-"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _record(m: sa.RowMapping) -> KeyRecord:
    return KeyRecord(m["id"], m["name"], m["prefix"], m["created_at"], m["revoked_at"])


_COLUMNS = (api_keys.c.id, api_keys.c.name, api_keys.c.prefix, api_keys.c.created_at, api_keys.c.revoked_at)


class Keys:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str) -> tuple[KeyRecord, str]:
        """A new key: the record, and the plaintext (never stored)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        values = {"name": name, "key_hash": hash_key(key), "prefix": key[:10], "created_at": datetime.now(UTC)}
        async with self.db.engine.begin() as conn:
            result = await conn.execute(sa.insert(api_keys).values(**values).returning(*_COLUMNS))
            return _record(result.one()._mapping), key

    async def list(self) -> list[KeyRecord]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(sa.select(*_COLUMNS).order_by(api_keys.c.id))
            return [_record(r._mapping) for r in rows]

    async def revoke(self, ident: str) -> int:
        """Revoke by id or name; returns how many keys were revoked."""
        match = api_keys.c.id == int(ident) if ident.isdigit() else api_keys.c.name == ident
        stmt = sa.update(api_keys).where(match, api_keys.c.revoked_at.is_(None)).values(revoked_at=datetime.now(UTC))
        async with self.db.engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount

    async def lookup(self, key: str) -> KeyRecord | None:
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(sa.select(*_COLUMNS).where(api_keys.c.key_hash == hash_key(key)))).first()
        return _record(row._mapping) if row is not None else None
