"""``imagegate serve | keys ... | channels``: run the gateway, manage client keys, see the channels."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import httpx
import typer
import uvicorn
from pydantic import ValidationError

from .channel_table import AdminError, fetch, table
from .config import Settings, load_settings
from .gateway import ConfigError, build_routing
from .ledger import Database, Keys
from .ledger.db import default_url, safe_url
from .logs import logging_config
from .router import Router

T = TypeVar("T")
app = typer.Typer(no_args_is_help=True, add_completion=False, help="imagegate: an OpenAI-compatible image gateway.")
keys_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke client API keys.")
app.add_typer(keys_app, name="keys")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file (or IMAGEGATE_CONFIG).")]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"imagegate: {message}", err=True)
    return typer.Exit(code)


def _settings(config: Path | None) -> Settings:
    if config is not None:
        os.environ["IMAGEGATE_CONFIG"] = str(config)
    try:
        return load_settings()
    except (ValidationError, FileNotFoundError, ValueError) as exc:
        raise _fail(f"invalid configuration: {exc}".splitlines()[0] if not isinstance(exc, ValidationError)
                    else f"invalid configuration: {exc}", 2) from None


def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    url = settings.database_url or default_url(settings.data_dir)

    async def run() -> T:
        db = Database(url)
        try:
            await db.create_schema()
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(run())
    except (OSError, ConnectionError) as exc:
        raise _fail(f"cannot reach the database at {safe_url(url)}: {exc}", 1) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg", "sqlite3")):
            raise _fail(f"cannot use the database at {safe_url(url)}: {type(exc).__name__}", 1) from None
        raise


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (IMAGEGATE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (IMAGEGATE_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "info",
) -> None:
    """Run the gateway."""
    if host is not None:
        os.environ["IMAGEGATE_HOST"] = host
    if port is not None:
        os.environ["IMAGEGATE_PORT"] = str(port)
    settings = _settings(config)
    router = _routing(settings)
    if not router.served():
        typer.echo("imagegate: warning: no upstream configured (set OPENAI_API_KEY or add [[channels]])", err=True)
    _with_db(settings, lambda db: asyncio.sleep(0))
    typer.echo(f"imagegate: serving {', '.join(router.served()) or 'no models'} on {settings.base_url}", err=True)
    uvicorn.run("imagegate.app:create_app_from_env", factory=True, host=settings.host, port=settings.port,
                workers=workers, log_level=log_level, log_config=logging_config(log_level), access_log=False,
                proxy_headers=False)


def _routing(settings: Settings) -> Router:
    try:
        return build_routing(settings)[1]
    except ConfigError as exc:
        raise _fail(f"invalid configuration: {exc}", 2) from None


@app.command()
def channels(
    config: ConfigOpt = None,
    url: Annotated[str | None, typer.Option(help="The gateway's URL (default: its configured address).")] = None,
    key: Annotated[str | None, typer.Option(help="The master key (default: IMAGEGATE_MASTER_KEY).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Show the configuration; ask no gateway.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Each channel's state, in-flight calls, recent error rate and latency (from the running gateway)."""
    settings = _settings(config)
    router = _routing(settings)
    rows = None
    if not offline:
        target = url or settings.base_url
        try:
            rows = fetch(target, key or settings.master_key)
        except httpx.TransportError:
            typer.echo(f"imagegate: no gateway answers at {target}; showing the configuration", err=True)
        except AdminError as exc:
            raise _fail(str(exc), 1) from None
    if rows is None:
        rows = [{**row, "state": "offline"} for row in router.describe()]
    typer.echo(json.dumps(rows, indent=2) if as_json else table(rows))


@keys_app.command("create")
def keys_create(name: Annotated[str, typer.Option("--name", help="A label for the key.")],
                config: ConfigOpt = None) -> None:
    """Create a key. It is printed once, on the last line; only its hash is stored."""
    record, key = _with_db(_settings(config), lambda db: Keys(db).create(name))
    typer.echo(f"created key {record.id} ({record.name}); store it now, it is not shown again:")
    typer.echo(key)


@keys_app.command("list")
def keys_list(config: ConfigOpt = None) -> None:
    """List keys (never the keys themselves)."""
    records = _with_db(_settings(config), lambda db: Keys(db).list())
    typer.echo(f"{'id':>4}  {'name':<24} {'prefix':<12} {'created':<20} status")
    for r in records:
        status = "active" if r.active else f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else ""
        typer.echo(f"{r.id:>4}  {r.name:<24} {r.prefix:<12} {r.created_at:%Y-%m-%d %H:%M:%S}  {status}")


@keys_app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="The key's id or name.")], config: ConfigOpt = None) -> None:
    """Revoke a key by id or name."""
    count = _with_db(_settings(config), lambda db: Keys(db).revoke(key))
    if not count:
        raise _fail(f"no active key with id or name {key!r}", 1)
    typer.echo(f"revoked {count} key(s)")
