"""``imagegate channels``: each channel's state, from the running gateway (or the configuration)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .channel_table import AdminError, Unreachable, fetch, table
from .common import ConfigOpt, fail, routing, settings


def channels(
    config: ConfigOpt = None,
    url: Annotated[str | None, typer.Option(help="The gateway's URL (default: its configured address).")] = None,
    key: Annotated[str | None, typer.Option(help="The master key (default: IMAGEGATE_MASTER_KEY).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Show the configuration; ask no gateway.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Each channel's state, in-flight calls, recent error rate and latency (from the running gateway)."""
    current = settings(config)
    router = routing(current).router
    rows = None
    if not offline:
        target = url or current.base_url
        try:
            rows = fetch(target, key or current.master_key)
        except Unreachable:
            typer.echo(f"imagegate: no gateway answers at {target}; showing the configuration", err=True)
        except AdminError as exc:
            raise fail(str(exc), 1) from None
    if rows is None:
        rows = [{**row, "state": "offline"} for row in router.describe()]
    typer.echo(json.dumps(rows, indent=2) if as_json else table(rows))
