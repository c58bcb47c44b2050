"""The console's session: a signed, expiring cookie naming who signed in (never the key itself), its CSRF token.

The cookie is an ``itsdangerous`` timed signature over ``{"key_id", "master", "csrf"}`` with the gateway's
secret; it is HttpOnly, ``SameSite=Strict``, ``Secure`` over https, and lasts ``console_session_ttl`` seconds.
Each request checks the key again (a revoked or expired key ends its sessions at once). Every state change
must carry the session's CSRF token, as the form field ``csrf`` or the ``X-CSRF-Token`` header (htmx).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from ..auth import Principal
from ..bootstrap import Services
from ..errors import Unauthorized

COOKIE = "imagegate_console"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    csrf: str

    @property
    def is_operator(self) -> bool:
        return self.principal.is_master


class SignedOut(Exception):
    """No valid session: pages redirect to the sign-in page, htmx and JSON calls get 401."""


class NotOperator(Exception):
    """A user's session on an operator page: 403."""


class BadCsrf(Exception):
    """A state change without the session's CSRF token: 403."""


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _serializer(services: Services) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services.signer.secret, salt="imagegate-console-session")


def start_session(request: Request, response: Response, principal: Principal) -> None:
    """Set the cookie of a new session for ``principal``."""
    services = services_of(request)
    body = {"key_id": principal.key_id, "master": principal.is_master, "csrf": secrets.token_urlsafe(24)}
    ttl = services.settings.console_session_ttl
    response.set_cookie(COOKIE, _serializer(services).dumps(body), max_age=ttl, path="/console", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict")


async def current_session(request: Request) -> Session:
    services = services_of(request)
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise SignedOut
    try:
        body: dict[str, Any] = _serializer(services).loads(cookie, max_age=services.settings.console_session_ttl)
        principal = await services.auth.principal_of(body["key_id"], bool(body["master"]))
    except (BadSignature, KeyError, TypeError, Unauthorized):
        raise SignedOut from None
    return Session(principal, str(body["csrf"]))


SessionDep = Annotated[Session, Depends(current_session)]


async def operator_session(session: SessionDep) -> Session:
    if not session.is_operator:
        raise NotOperator
    return session


OperatorDep = Annotated[Session, Depends(operator_session)]


async def checked_session(request: Request, session: SessionDep) -> Session:
    """The session of a state change, once its CSRF token matches (form field ``csrf`` or the header)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = str((await request.form()).get("csrf") or "")
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise BadCsrf
    return session


ChangeDep = Annotated[Session, Depends(checked_session)]


async def checked_operator(session: ChangeDep) -> Session:
    if not session.is_operator:
        raise NotOperator
    return session


OperatorChangeDep = Annotated[Session, Depends(checked_operator)]
