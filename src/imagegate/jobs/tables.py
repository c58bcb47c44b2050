"""The ``image_jobs`` table, on the ledger's metadata so ``create_schema`` makes it with the others."""

from __future__ import annotations

import sqlalchemy as sa

from ..ledger.tables import metadata

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = "queued", "in_progress", "succeeded", "failed", "canceled"
OPEN = (QUEUED, RUNNING)

image_jobs = sa.Table(
    "image_jobs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("key_id", sa.Integer, index=True),
    sa.Column("key_name", sa.String(200), nullable=False),
    sa.Column("is_master", sa.Boolean, nullable=False, default=False),
    sa.Column("endpoint", sa.String(20), nullable=False),
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("request", sa.JSON, nullable=False),  # coerced fields and the persisted input files
    sa.Column("tasks", sa.JSON, nullable=False, default=dict),  # upstream tasks submitted: key → {polling_url, cost}
    sa.Column("progress", sa.Float),
    sa.Column("result", sa.JSON),  # the images response (links stored as object names)
    sa.Column("error", sa.JSON),  # the error envelope
    sa.Column("error_status", sa.Integer),
    sa.Column("webhook_url", sa.Text),
    sa.Column("owner", sa.String(32)),  # the claim token of the worker running it
    sa.Column("lease_until", sa.Float, nullable=False, default=0.0),
    sa.Column("claims", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("finished_at", sa.Float),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)
