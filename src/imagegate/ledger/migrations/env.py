"""Alembic environment: imagegate always hands in an open connection (see ``ledger/migrate.py``)."""

from alembic import context

import imagegate.jobs.tables  # noqa: F401  (the image_jobs table joins the ledger's metadata)
from imagegate.ledger.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
