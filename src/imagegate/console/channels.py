"""Channels (operator): each channel's live state from ``router.describe()`` (as ``/admin/channels``), and reload."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..routing import config_problem
from .render import page
from .session import OperatorChangeDep, OperatorDep, services_of

router = APIRouter(prefix="/console/channels", include_in_schema=False)


@router.get("")
async def channels_page(request: Request, session: OperatorDep) -> Response:
    channels = services_of(request).live.current.router.describe()
    return page(request, "channels.html", session, channels=channels)


@router.get("/rows")
async def channel_rows(request: Request, session: OperatorDep) -> Response:
    """The table's rows alone: htmx polls them."""
    channels = services_of(request).live.current.router.describe()
    return page(request, "channel_rows.html", session, channels=channels)


@router.post("/reload")
async def reload(request: Request, session: OperatorChangeDep) -> Response:
    services = services_of(request)
    try:
        summary = await services.reloader.reload()
    except (ValueError, FileNotFoundError) as exc:
        message = f"The configuration was not reloaded: {config_problem(exc)}"
        return page(request, "channels.html", session, 400, channels=services.live.current.router.describe(),
                    error=message)
    return page(request, "channels.html", session, channels=services.live.current.router.describe(),
                notice=f"Reloaded: {len(summary['channels'])} channel(s), {len(summary['models'])} model(s).")
