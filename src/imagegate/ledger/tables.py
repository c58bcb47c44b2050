"""The ledger's tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` build exactly this schema.

Money is stored as whole micro-dollars (``BigInteger``, 1 USD = 1,000,000) so sums are exact on
every engine. Times are UTC; :class:`UTCDateTime` makes SQLite hand them back timezone-aware too.

- ``api_keys``: keys stored only as SHA-256 hashes, with their limits and the budget counters
  (``spent_micros`` in the period starting ``period_start``, ``reserved_micros`` held by
  requests in flight) that the conditional UPDATE in :mod:`.budget` checks atomically.
- ``usage``: one row per request that reached an upstream, with its price (and the names of its
  result files when answered with links: the console's thumbnails).
- ``reservations``: one row per budget hold, so a crashed process's holds can be released.
- ``idempotency``: ``Idempotency-Key`` claims and the stored first response.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine (SQLite stores it naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements only INTEGER keys
metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("models", sa.JSON(none_as_null=True)),
    sa.Column("rpm", sa.Integer),
    sa.Column("budget_micros", sa.BigInteger),
    sa.Column("budget_period", sa.String(8)),
    sa.Column("period_start", sa.String(10)),
    sa.Column("spent_micros", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("reserved_micros", sa.BigInteger, nullable=False, server_default="0"),
    sa.CheckConstraint("spent_micros >= 0", name="spent"),
    sa.CheckConstraint("reserved_micros >= 0", name="reserved"),
    sa.Index("ix_api_keys_active_name", "name", unique=True, sqlite_where=sa.text("revoked_at IS NULL"),
             postgresql_where=sa.text("revoked_at IS NULL")),
)

usage = sa.Table(
    "usage",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id")),
    sa.Column("key_name", sa.String(200), nullable=False),
    sa.Column("endpoint", sa.String(20), nullable=False),
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("images", sa.Integer, nullable=False),
    sa.Column("size", sa.String(20)),
    sa.Column("quality", sa.String(20)),
    sa.Column("input_tokens", sa.Integer, nullable=False),
    sa.Column("output_tokens", sa.Integer, nullable=False),
    sa.Column("text_tokens", sa.Integer, nullable=False),
    sa.Column("image_tokens", sa.Integer, nullable=False),
    sa.Column("price_micros", sa.BigInteger, nullable=False),
    sa.Column("upstream_cost_micros", sa.BigInteger),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("latency_ms", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
    sa.Column("results", sa.JSON(none_as_null=True)),  # names of the result files (url answers), for thumbnails
    sa.Index("ix_usage_key_id_created_at", "key_id", "created_at"),
)

reservations = sa.Table(
    "reservations",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id"), nullable=False, index=True),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
)

idempotency = sa.Table(
    "idempotency",
    metadata,
    sa.Column("scope", sa.String(40), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("cost_micros", sa.BigInteger),
    sa.Column("body", sa.LargeBinary),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
)
