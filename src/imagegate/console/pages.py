"""Sign-in and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from ..errors import Unauthorized
from .render import page
from .session import ChangeDep, SignedOut, current_session, end_session, services_of, start_session
from .signin import SignInLimiter

router = APIRouter(prefix="/console", include_in_schema=False)


def _limiter(request: Request) -> SignInLimiter:
    limiter: SignInLimiter | None = getattr(request.app.state, "console_signin", None)
    if limiter is None:
        limiter = SignInLimiter(services_of(request).settings.console_signin_per_minute)
        request.app.state.console_signin = limiter
    return limiter


@router.get("/signin")
async def signin_page(request: Request) -> Response:
    try:
        await current_session(request)
    except SignedOut:
        return page(request, "signin.html", None)
    return RedirectResponse("/console", 303)


@router.post("/signin")
async def signin(request: Request, key: Annotated[str, Form()] = "") -> Response:
    client = request.client.host if request.client else "unknown"
    if not _limiter(request).allow(client):
        return page(request, "signin.html", None, 429, error="Too many sign-in attempts: wait a minute.")
    try:
        principal = await services_of(request).auth.authenticate(f"Bearer {key.strip()}")
    except Unauthorized as exc:
        return page(request, "signin.html", None, 401, error=str(exc))
    response = RedirectResponse("/console", 303)
    start_session(request, response, principal)
    return response


@router.post("/signout")
async def signout(_: ChangeDep) -> Response:
    response = RedirectResponse("/console/signin", 303)
    end_session(response)
    return response
