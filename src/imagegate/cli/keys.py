"""``imagegate keys create | list | update | revoke``: client keys and their limits.

Bad values (a negative budget, an rpm of 0, a date in the past, an unknown model) print one line
naming the option and exit 2; the same rules as the admin API (:mod:`imagegate.ledger.limits`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from ..ledger import KeyRecord, Keys, KeyView
from ..ledger.limits import KeyCreate, KeyLimits, KeyUpdate
from ..ledger.money import usd_text
from .common import ConfigOpt, fail, invalid, routing, settings, with_db

keys_app = typer.Typer(no_args_is_help=True, help="Create, list, update and revoke client API keys.")
CLEAR = {"budget_usd": "none", "models": "all", "rpm": "none", "expires_at": "never"}  # words that clear a limit

BudgetOpt = Annotated[str | None, typer.Option("--budget", help="USD per budget period (up to 6 decimals).")]
PeriodOpt = Annotated[str | None, typer.Option("--budget-period", help="day, week, month or total (default).")]
ModelsOpt = Annotated[str | None, typer.Option("--models", help="Comma-separated model ids the key may use.")]
RpmOpt = Annotated[str | None, typer.Option("--rpm", help="Requests per minute.")]
ExpiresOpt = Annotated[str | None, typer.Option(
    "--expires", help="YYYY-MM-DD (the key stops working when that day begins, UTC) or an ISO 8601 time.")]
KeyArg = Annotated[str, typer.Argument(help="The key's id, or the name of an active key.")]


def _limits(budget: str | None, period: str | None, models: str | None, rpm: str | None,
            expires: str | None) -> dict[str, Any]:
    """The options given, as limit fields; the CLEAR words become ``None``."""
    given = {"budget_usd": budget, "budget_period": period, "models": models, "rpm": rpm, "expires_at": expires}
    fields: dict[str, Any] = {}
    for field, value in given.items():
        if value is None:
            continue
        if value.strip().lower() == CLEAR.get(field):
            fields[field] = None
        elif field == "models":
            fields[field] = [m for m in value.split(",") if m.strip()] or [""]
        else:
            fields[field] = value
    return fields


def _check_models(spec: KeyLimits, config: ConfigOpt) -> None:
    unknown = routing(settings(config)).catalog.unknown(spec.models)
    if unknown:
        raise fail(f"invalid --models: unknown model(s) {', '.join(unknown)}", 2)


def _budget(key: KeyRecord) -> str:
    return f"${usd_text(key.budget_micros)}/{key.budget_period or 'total'}" if key.budget_micros is not None else "-"


@keys_app.command("create")
def create(name: Annotated[str, typer.Option("--name", help="A label, unique among active keys.")],
           budget: BudgetOpt = None, budget_period: PeriodOpt = None, models: ModelsOpt = None,
           rpm: RpmOpt = None, expires: ExpiresOpt = None, config: ConfigOpt = None) -> None:
    """Create a key. It is printed once, on the last line; only its hash is stored."""
    try:
        spec = KeyCreate(name=name, **_limits(budget, budget_period, models, rpm, expires))
    except ValidationError as exc:
        raise invalid(exc) from None
    _check_models(spec, config)
    record, key = with_db(settings(config), lambda db: Keys(db).create(spec))
    typer.echo(f"created key {record.id} ({record.name}, budget {_budget(record)}); "
               "store it now, it is not shown again:")
    typer.echo(key)


@keys_app.command("list")
def list_keys(config: ConfigOpt = None) -> None:
    """List keys with their limits and spend (never the keys themselves)."""
    views: list[KeyView] = with_db(settings(config), lambda db: Keys(db).list())
    now = datetime.now(UTC)
    typer.echo(f"{'id':>4}  {'name':<20} {'prefix':<11} {'status':<8} {'budget':<16} {'spent':>10} {'held':>9} "
               f"{'total':>10} {'rpm':>5}  {'expires':<16} models")
    for v in views:
        k = v.key
        expires = f"{k.expires_at:%Y-%m-%d %H:%M}" if k.expires_at else "-"
        typer.echo(f"{k.id:>4}  {k.name:<20} {k.prefix:<11} {k.status(now):<8} {_budget(k):<16} "
                   f"{usd_text(v.spent_period_micros):>10} {usd_text(v.reserved_micros):>9} "
                   f"{usd_text(v.spent_total_micros):>10} {k.rpm or '-':>5}  {expires:<16} "
                   f"{','.join(k.models) if k.models is not None else 'all'}")


@keys_app.command("update")
def update(key: KeyArg, name: Annotated[str | None, typer.Option("--name", help="A new label.")] = None,
           budget: Annotated[str | None, typer.Option("--budget", help="USD per period, or 'none'.")] = None,
           budget_period: PeriodOpt = None,
           models: Annotated[str | None, typer.Option("--models", help="Comma-separated ids, or 'all'.")] = None,
           rpm: Annotated[str | None, typer.Option("--rpm", help="Requests per minute, or 'none'.")] = None,
           expires: Annotated[str | None, typer.Option("--expires", help="A date or time, or 'never'.")] = None,
           config: ConfigOpt = None) -> None:
    """Change a key's name or limits; options not given stay as they are."""
    fields = _limits(budget, budget_period, models, rpm, expires)
    if name is not None:
        fields["name"] = name
    if not fields:
        raise fail("nothing to change: give --name, --budget, --budget-period, --models, --rpm or --expires", 2)
    try:
        changes = KeyUpdate(**fields)
    except ValidationError as exc:
        raise invalid(exc) from None
    _check_models(changes, config)
    record = with_db(settings(config), lambda db: Keys(db).update(key, changes))
    if record is None:
        raise fail(f"no key with id or active name {key!r}", 1)
    typer.echo(f"updated key {record.id} ({record.name}, budget {_budget(record)})")


@keys_app.command("revoke")
def revoke(key: KeyArg, config: ConfigOpt = None) -> None:
    """Revoke a key by id or name. Its usage stays in the ledger."""
    record = with_db(settings(config), lambda db: Keys(db).revoke(key))
    if record is None:
        raise fail(f"no active key with id or name {key!r}", 1)
    typer.echo(f"revoked key {record.id} ({record.name})")
