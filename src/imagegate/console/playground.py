"""The playground page: it calls the API through :mod:`.proxy` as the session's key (on that key's budget)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from .render import page
from .session import SessionDep

router = APIRouter(prefix="/console/playground", include_in_schema=False)
MAX_IMAGES = 16


@router.get("")
async def playground_page(request: Request, session: SessionDep) -> Response:
    return page(request, "playground.html", session, max_images=MAX_IMAGES)
