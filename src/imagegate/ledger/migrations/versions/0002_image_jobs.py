"""Async image jobs (imagegate.jobs.tables).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "image_jobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("key_id", sa.Integer),
        sa.Column("key_name", sa.String(200), nullable=False),
        sa.Column("is_master", sa.Boolean, nullable=False),
        sa.Column("endpoint", sa.String(20), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("tasks", sa.JSON, nullable=False),
        sa.Column("progress", sa.Float),
        sa.Column("result", sa.JSON),
        sa.Column("error", sa.JSON),
        sa.Column("error_status", sa.Integer),
        sa.Column("webhook_url", sa.Text),
        sa.Column("owner", sa.String(32)),
        sa.Column("lease_until", sa.Float, nullable=False),
        sa.Column("claims", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    for column in ("key_id", "status", "created_at", "expires_at"):
        op.create_index(f"ix_image_jobs_{column}", "image_jobs", [column])


def downgrade() -> None:
    op.drop_table("image_jobs")
