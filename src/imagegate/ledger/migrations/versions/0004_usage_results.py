"""The names of each usage row's result files (``usage.results``), so the console can show thumbnails.

A JSON list of result-store names for answers given as links (``response_format=url``); null for
``b64_json`` answers, failures and rows written before this revision.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage") as batch:
        batch.add_column(sa.Column("results", sa.JSON(none_as_null=True)))


def downgrade() -> None:
    with op.batch_alter_table("usage") as batch:
        batch.drop_column("results")
