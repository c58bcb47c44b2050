"""Client API keys: created once (shown once), stored as SHA-256 hashes, with their limits.

A key is named by its id, or by the name of an active key (names are unique among active keys;
an all-digit identifier is an id).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import Conflict
from .budget import period_start
from .db import Database
from .limits import KeyCreate, KeyUpdate
from .money import to_micros
from .tables import api_keys, usage

KEY_PREFIX = "ig-"
ID_MAX = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None
    models: tuple[str, ...] | None = None
    rpm: int | None = None
    budget_micros: int | None = None
    budget_period: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at is not None and self.expires_at <= now else "active"


@dataclass(frozen=True, slots=True)
class KeyView:
    """A key with what it has spent: in its current budget period, held right now, and ever."""

    key: KeyRecord
    spent_period_micros: int
    reserved_micros: int
    spent_total_micros: int
    requests: int


_COLUMNS = (api_keys.c.id, api_keys.c.name, api_keys.c.prefix, api_keys.c.created_at, api_keys.c.revoked_at,
            api_keys.c.expires_at, api_keys.c.models, api_keys.c.rpm, api_keys.c.budget_micros,
            api_keys.c.budget_period)


def _record(m: sa.RowMapping) -> KeyRecord:
    models = tuple(m["models"]) if m["models"] is not None else None
    return KeyRecord(m["id"], m["name"], m["prefix"], m["created_at"], m["revoked_at"], m["expires_at"], models,
                     m["rpm"], m["budget_micros"], m["budget_period"])


def _match(ident: str) -> sa.ColumnElement[bool]:
    """An id (digits) or an active key's name; an id past the column's range is no key."""
    if ident.isascii() and ident.isdigit():
        return api_keys.c.id == int(ident) if len(ident) <= 10 and int(ident) <= ID_MAX else sa.false()
    return sa.and_(api_keys.c.name == ident, api_keys.c.revoked_at.is_(None))


def _columns(limits: dict[str, Any]) -> dict[str, Any]:
    """Validated limit fields → column values."""
    values = dict(limits)
    if "budget_usd" in values:
        budget = values.pop("budget_usd")
        values["budget_micros"] = to_micros(budget) if budget is not None else None
    return values


def _name_taken(name: str | None) -> Conflict:
    return Conflict(f"An active key is already named {name!r}.", param="name", code="name_taken")


class Keys:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, spec: KeyCreate) -> tuple[KeyRecord, str]:
        """A new key: the record, and the plaintext (never stored)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        values = _columns(spec.model_dump())
        if values["budget_micros"] is not None and values["budget_period"] is None:
            values["budget_period"] = "total"
        values.update(key_hash=hash_key(key), prefix=key[:10], created_at=datetime.now(UTC))
        try:
            async with self.db.begin() as conn:
                result = await conn.execute(sa.insert(api_keys).values(**values).returning(*_COLUMNS))
                return _record(result.one()._mapping), key
        except sa_exc.IntegrityError:
            raise _name_taken(spec.name) from None

    async def get(self, ident: str) -> KeyRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(*_COLUMNS).where(_match(ident)))).first()
        return _record(row._mapping) if row is not None else None

    async def lookup(self, key: str) -> KeyRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(*_COLUMNS).where(api_keys.c.key_hash == hash_key(key)))).first()
        return _record(row._mapping) if row is not None else None

    async def update(self, ident: str, changes: KeyUpdate) -> KeyRecord | None:
        """Apply the fields that were sent; a new budget or period recounts this period's spend from usage."""
        values = _columns(changes.changes())
        if not values:
            return await self.get(ident)
        if values.get("budget_micros") is not None and "budget_period" not in values:
            values["budget_period"] = sa.func.coalesce(api_keys.c.budget_period, "total")
        try:
            async with self.db.begin() as conn:
                row = (await conn.execute(sa.update(api_keys).where(_match(ident)).values(**values)
                                          .returning(*_COLUMNS))).first()
                if row is None:
                    return None
                record = _record(row._mapping)
                if record.budget_micros is not None and ({"budget_micros", "budget_period"} & values.keys()):
                    await self._recount(conn, record)
                return record
        except sa_exc.IntegrityError:
            raise _name_taken(changes.name) from None

    @staticmethod
    async def _recount(conn: AsyncConnection, record: KeyRecord) -> None:
        """Set the budget counter to what the ledger says was spent in the current period."""
        start = period_start(record.budget_period, datetime.now(UTC))
        since = datetime(start.year, start.month, start.day, tzinfo=UTC)
        spent = sa.select(sa.func.coalesce(sa.func.sum(usage.c.price_micros), 0)).where(
            usage.c.key_id == record.id, usage.c.created_at >= since).scalar_subquery()
        await conn.execute(sa.update(api_keys).where(api_keys.c.id == record.id).values(
            spent_micros=spent, period_start=start.isoformat()))

    async def revoke(self, ident: str) -> KeyRecord | None:
        stmt = sa.update(api_keys).where(_match(ident), api_keys.c.revoked_at.is_(None)) \
            .values(revoked_at=datetime.now(UTC)).returning(*_COLUMNS)
        async with self.db.begin() as conn:
            row = (await conn.execute(stmt)).first()
        return _record(row._mapping) if row is not None else None

    async def list(self, ident: str | None = None) -> list[KeyView]:
        """Every key (or the one ``ident`` names) with its spend."""
        totals = sa.select(usage.c.key_id, sa.func.count().label("requests"),
                           sa.func.sum(usage.c.price_micros).label("spent")).group_by(usage.c.key_id).subquery()
        stmt = sa.select(*_COLUMNS, api_keys.c.spent_micros, api_keys.c.reserved_micros, api_keys.c.period_start,
                         totals.c.requests, totals.c.spent).outerjoin(totals, totals.c.key_id == api_keys.c.id) \
            .order_by(api_keys.c.id)
        if ident is not None:
            stmt = stmt.where(_match(ident))
        async with self.db.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        now = datetime.now(UTC)
        return [self._view(m, now) for m in rows]

    @staticmethod
    def _view(m: sa.RowMapping, now: datetime) -> KeyView:
        record = _record(m)
        current = period_start(record.budget_period, now).isoformat()
        period_spent = m["spent_micros"] if record.budget_micros is not None and m["period_start"] == current else 0
        return KeyView(record, period_spent, m["reserved_micros"], int(m["spent"] or 0), int(m["requests"] or 0))
