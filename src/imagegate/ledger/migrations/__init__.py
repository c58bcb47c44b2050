"""Alembic migration scripts of the ledger (run by ``ledger/migrate.py``)."""
