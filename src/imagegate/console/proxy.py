"""The playground's way to the API: ``/console/proxy/v1/...`` runs the gateway's own ``/v1`` route as the
session's key, so the browser never holds a key and the call is billed and limited like any other.

Only the image endpoints and ``GET /v1/models`` pass; a POST needs the session's CSRF token in the
``X-CSRF-Token`` header. The principal travels in the ASGI scope (:data:`imagegate.auth.SCOPE_PRINCIPAL`),
which no client can set, and the request goes through the whole app again (request id, access log, limits).
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..auth import SCOPE_PRINCIPAL
from .session import CSRF_HEADER, SignedOut, current_session

ALLOWED = {("GET", "/v1/models"), ("POST", "/v1/images/generations"), ("POST", "/v1/images/edits"),
           ("POST", "/v1/images/variations")}


class Proxy:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].removeprefix("/console/proxy")
        request = Request(scope)
        if scope["type"] != "http" or (scope["method"], path) not in ALLOWED:
            return await PlainTextResponse("Not found.", 404)(scope, receive, send)
        try:
            session = await current_session(request)
        except SignedOut:
            return await PlainTextResponse("Signed out: sign in again.", 401)(scope, receive, send)
        sent = request.headers.get(CSRF_HEADER, "")
        if scope["method"] != "GET" and not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            return await PlainTextResponse("Missing or wrong CSRF token.", 403)(scope, receive, send)
        headers = [(k, v) for k, v in scope["headers"] if k not in (b"cookie", b"authorization", b"x-csrf-token")]
        inner = {**scope, "path": path, "raw_path": path.encode(), "root_path": "", "headers": headers,
                 SCOPE_PRINCIPAL: session.principal}
        await self.app(inner, receive, send)
