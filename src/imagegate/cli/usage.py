"""``imagegate usage``: the ledger summed by model, key or day."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from ..ledger import Database, Keys
from ..ledger.limits import parse_when
from ..ledger.money import usd_text
from ..ledger.reports import UsageGroup, report, total
from .common import ConfigOpt, fail, settings, with_db


def _line(g: UsageGroup) -> str:
    return (f"{g.group:<28} {g.requests:>9} {g.failed:>7} {g.images:>7} {g.input_tokens:>10} {g.output_tokens:>11} "
            f"{usd_text(g.price_micros):>12} {usd_text(g.upstream_cost_micros):>14}")


def usage(
    key: Annotated[str | None, typer.Option("--key", help="Only this key (id or active name).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date or ISO 8601 time (UTC).")] = None,
    by: Annotated[Literal["model", "key", "day"], typer.Option("--by", help="Group by model, key or day.")] = "model",
    config: ConfigOpt = None,
) -> None:
    """Print usage and cost from the ledger."""
    try:
        when = parse_when(since) if since is not None else None
    except ValueError as exc:
        raise fail(f"invalid --since: {exc}", 2) from None

    async def read(db: Database) -> list[UsageGroup] | None:
        key_id = None
        if key is not None:
            record = await Keys(db).get(key)
            if record is None:
                return None
            key_id = record.id
        return await report(db, by, key_id, when)

    groups = with_db(settings(config), read)
    if groups is None:
        raise fail(f"no key with id or active name {key!r}", 1)
    typer.echo(f"{by:<28} {'requests':>9} {'failed':>7} {'images':>7} {'in tokens':>10} {'out tokens':>11} "
               f"{'cost USD':>12} {'upstream USD':>14}")
    for group in groups:
        typer.echo(_line(group))
    typer.echo(_line(total(groups)))
