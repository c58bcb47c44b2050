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

# Webhooks not yet delivered, one row per finished job that asked for one (see imagegate.jobs.outbox).
webhook_outbox = sa.Table(
    "webhook_outbox",
    metadata,
    sa.Column("job_id", sa.String(40), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),  # delivery rounds that failed
    sa.Column("next_at", sa.Float, nullable=False, index=True),  # when the next round may start
    sa.Column("owner", sa.String(32)),  # the claim token of the node delivering it
    sa.Column("lease_until", sa.Float, nullable=False, default=0.0),
    sa.Column("created_at", sa.Float, nullable=False),
)


def outbox_entry(job_id: str, now: float) -> sa.Insert:
    """The outbox row of a job that has a ``webhook_url`` (none for one without), due at once: written in
    the transaction that records the job's end, so a finished job's webhook can't be lost."""
    jobs = image_jobs.c
    source = sa.select(jobs.id, jobs.webhook_url, sa.literal(0), sa.literal(now), sa.literal(0.0), sa.literal(now)) \
        .where(jobs.id == job_id, jobs.webhook_url.is_not(None))
    names = ["job_id", "url", "attempts", "next_at", "lease_until", "created_at"]
    return sa.insert(webhook_outbox).from_select(names, source)
