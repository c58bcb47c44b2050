"""Optional dependencies: PostgreSQL's driver and the Redis client come with extras.

``pip install -e .`` runs the gateway on SQLite, in one process. ``imagegate[postgres]`` brings
``asyncpg`` (``IMAGEGATE_DATABASE_URL=postgresql+asyncpg://...``), ``imagegate[redis]`` brings
``redis`` (``IMAGEGATE_REDIS_URL``), ``imagegate[s3]`` brings ``obstore`` (``IMAGEGATE_STORAGE_URL=s3://...``),
``imagegate[google]`` brings ``google-auth`` (a Google Cloud channel
with a service-account ``credentials_file``). They are imported only where they are used, through
:func:`require`; a setting that needs one that isn't installed stops the gateway and the CLI
with :class:`MissingExtra`, one line naming the extra to install. ``imagegate[otel]`` brings OpenTelemetry;
without it ``OTEL_*`` variables give a warning and no traces (:mod:`imagegate.tracing`).
"""

from __future__ import annotations

import importlib
from types import ModuleType

# package → the extra that installs it
EXTRA = {"asyncpg": "postgres", "redis": "redis", "google": "google", "obstore": "s3"}
DRIVERS = {"asyncpg"}  # SQLAlchemy drivers (the ``+driver`` of a database URL) that come with an extra


class MissingExtra(RuntimeError):
    """A setting needs a package that isn't installed; the message names the extra to install."""


def require(module: str, needed_by: str) -> ModuleType:
    """``module`` imported (``redis.asyncio``, say), or :class:`MissingExtra` if its package is missing."""
    package = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is None or exc.name.partition(".")[0] != package:
            raise  # the package is there but broken: its own error says more than ours would
        raise MissingExtra(f"{needed_by} needs the '{package}' package, which is not installed: "
                           f"pip install 'imagegate[{EXTRA[package]}]'") from None


def database_driver(url: str) -> None:
    """:class:`MissingExtra` if the database URL names a driver that comes with an extra and is missing."""
    scheme = url.partition("://")[0]
    driver = scheme.partition("+")[2]
    if driver in DRIVERS:
        require(driver, f"the database URL ({scheme}://...)")


def redis_client() -> ModuleType:
    """``redis.asyncio``, or :class:`MissingExtra` naming ``imagegate[redis]``."""
    return require("redis.asyncio", "redis_url (IMAGEGATE_REDIS_URL)")


def s3_client() -> ModuleType:
    """``obstore``, or :class:`MissingExtra` naming ``imagegate[s3]``."""
    return require("obstore", "storage_url (IMAGEGATE_STORAGE_URL=s3://...)")


def check(database_url: str | None, redis_url: str | None, storage_url: str | None = None) -> None:
    """:class:`MissingExtra` if a configured URL needs a package that isn't installed."""
    if database_url:
        database_driver(database_url)
    if redis_url:
        redis_client()
    if storage_url and storage_url.startswith("s3://"):
        s3_client()
