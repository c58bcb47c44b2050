"""``imagegate serve | keys ... | usage | channels``: run the gateway, manage client keys, read the ledger,
see the channels."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

from .. import tracing
from ..config import Settings, SettingsLoader
from ..serving import exec_workers, run_here
from .channels import channels
from .common import ConfigOpt, loaded, routing, with_db
from .keys import keys_app
from .usage import usage

app = typer.Typer(no_args_is_help=True, add_completion=False, help="imagegate: an OpenAI-compatible image gateway.")
app.add_typer(keys_app, name="keys")
app.command()(usage)
app.command()(channels)


DEMO_HINT = "set OPENAI_API_KEY (or another provider's key) or add [[channels]] to serve real models"


def start_line(settings: Settings, served: list[str]) -> str:
    """What ``serve`` says it serves; the demo model served alone says why and how to add an upstream."""
    if served == ["demo"]:
        return (f"imagegate: no upstream configured, so serving the built-in demo model (labelled images drawn "
                f"locally, $0) on {settings.base_url}; {DEMO_HINT}, or IMAGEGATE_DEMO=false to turn it off")
    return f"imagegate: serving {', '.join(served) or 'no models'} on {settings.base_url}"


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (IMAGEGATE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (IMAGEGATE_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "info",
) -> None:
    """Run the gateway (after bringing the ledger's schema up to date)."""
    given = {"host": host, "port": port}
    loader = SettingsLoader.at_start(config, **{name: value for name, value in given.items() if value is not None})
    current = loaded(loader)
    try:
        tracing.check(os.environ)  # before any worker starts: a worker that can't start is restarted forever
    except ValueError as exc:
        typer.echo(f"imagegate: invalid configuration: {exc}", err=True)
        raise typer.Exit(2) from None
    served = routing(current).router.served()
    if not served:
        typer.echo("imagegate: warning: no upstream configured (set OPENAI_API_KEY or add [[channels]])", err=True)
    with_db(current, lambda db: asyncio.sleep(0))
    typer.echo(start_line(current, served), err=True)
    if workers == 1:
        run_here(current, loader, log_level)
    else:
        exec_workers(loader, workers, log_level)
