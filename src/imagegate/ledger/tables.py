"""The ledger's tables (SQLAlchemy Core): keys stored only as hashes, one usage row per request."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("models", sa.Text),
    sa.Column("rpm", sa.Integer),
    sa.Column("budget_usd", sa.Numeric(14, 6)),
    sa.Column("budget_period", sa.String(10)),
)

usage = sa.Table(
    "usage",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id"), index=True),
    sa.Column("key_name", sa.String(200), nullable=False),
    sa.Column("endpoint", sa.String(20), nullable=False),
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("images", sa.Integer, nullable=False),
    sa.Column("size", sa.String(20)),
    sa.Column("quality", sa.String(20)),
    sa.Column("input_tokens", sa.Integer, nullable=False, default=0),
    sa.Column("output_tokens", sa.Integer, nullable=False, default=0),
    sa.Column("text_tokens", sa.Integer, nullable=False, default=0),
    sa.Column("image_tokens", sa.Integer, nullable=False, default=0),
    sa.Column("price_usd", sa.Numeric(14, 6)),
    sa.Column("upstream_cost", sa.Numeric(14, 6)),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("latency_ms", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
