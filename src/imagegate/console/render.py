"""Templates (Jinja2, autoescaped) and the pages shown when a console request is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from .session import Session

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescape is on for .html
templates.env.filters["utc"] = lambda unix: datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M:%S")


def page(request: Request, name: str, session: Session | None, status: int = 200, **context: Any) -> Response:
    """``name`` rendered with the session (for the navigation and the CSRF token) and ``context``."""
    return templates.TemplateResponse(request, name, {"session": session, **context}, status_code=status)


def wants_fragment(request: Request) -> bool:
    """An htmx or script call (not a page load): refusals are plain statuses, not redirects."""
    return "hx-request" in request.headers or request.headers.get("accept", "").startswith("application/json")


async def signed_out(request: Request, _: Exception) -> Response:
    if wants_fragment(request):
        return Response("Signed out: sign in again.", 401, {"HX-Redirect": "/console/signin"})
    return RedirectResponse("/console/signin", 303)


async def not_operator(request: Request, _: Exception) -> Response:
    return page(request, "refused.html", None, 403, message="This page is for the operator (the master key).")


async def bad_csrf(request: Request, _: Exception) -> Response:
    return page(request, "refused.html", None, 403,
                message="This change was refused: its form is stale. Reload the page and try again.")
