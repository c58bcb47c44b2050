"""What every command shares: settings, the ledger database, and failing with a clear one-line message.

Exit codes: 0 done, 1 the database can't be used (or the key named doesn't exist, or a setting needs an
extra that isn't installed), 2 bad input.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError

from ..config import Settings, load_settings
from ..errors import ApiError
from ..extras import MissingExtra, check
from ..ledger import Database, DatabaseUnavailable
from ..ledger.db import default_url, safe_url
from ..providers.registry import Registry
from ..routing import ConfigError, Routing, build_routing
from ..settings_check import UnknownSetting

T = TypeVar("T")
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file (or IMAGEGATE_CONFIG).")]
OPTIONS = {"name": "--name", "budget_usd": "--budget", "budget_period": "--budget-period", "models": "--models",
           "rpm": "--rpm", "expires_at": "--expires"}


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"imagegate: {message}", err=True)
    return typer.Exit(code)


def invalid(exc: ValidationError) -> typer.Exit:
    """A limits validation error as ``invalid --option: why``, exit 2."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    return fail(f"invalid {OPTIONS.get(field, field or 'input')}: {first['msg']}", 2)


def loaded(load: Callable[[], Settings]) -> Settings:
    """The settings ``load`` gives, or exit 2 with what is wrong (every unknown setting, one per line)."""
    try:
        return load()
    except UnknownSetting as exc:
        for problem in exc.problems[:-1]:
            typer.echo(f"imagegate: invalid configuration: {problem}", err=True)
        raise fail(f"invalid configuration: {exc.problems[-1]}", 2) from None
    except ValidationError as exc:
        raise fail(f"invalid configuration: {exc}", 2) from None
    except (FileNotFoundError, ValueError) as exc:
        raise fail(f"invalid configuration: {str(exc).splitlines()[0]}", 2) from None


def settings(config: Path | None) -> Settings:
    """Settings from ``--config`` (else ``IMAGEGATE_CONFIG``) and the environment, or exit 2."""
    return loaded(lambda: load_settings(config_file=config))


def routing(config: Settings) -> Routing:
    try:
        return build_routing(config, Registry.load(config.provider_modules), os.environ)
    except (ConfigError, ImportError) as exc:
        raise fail(f"invalid configuration: {exc}", 2) from None


def require_extras(config: Settings) -> None:
    """Exit 1 with one line naming the extra to install if a configured URL needs a missing package."""
    try:
        check(config.database_url, config.redis_url, config.storage_url)
    except MissingExtra as exc:
        raise fail(str(exc), 1) from None


def with_db(config: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the ledger (migrating it to the newest schema), run ``work``, close it."""
    url = config.database_url or default_url(config.data_dir)

    async def run() -> T:
        logging.getLogger("imagegate.ledger").disabled = True  # failures are reported here, in one line
        db = Database(url)
        try:
            await db.migrate()
            return await work(db)
        finally:
            await db.close()
            logging.getLogger("imagegate.ledger").disabled = False

    require_extras(config)
    try:
        return asyncio.run(run())
    except DatabaseUnavailable as exc:
        cause = exc.__cause__
        reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0] if cause else exc.message
        raise fail(f"cannot reach the database at {safe_url(url)}: {reason}", 1) from None
    except ApiError as exc:
        raise fail(exc.message, 2) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg", "sqlite3", "alembic")):
            raise fail(f"cannot use the database at {safe_url(url)}: {type(exc).__name__}", 1) from None
        raise
