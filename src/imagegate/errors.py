"""One error tree, rendered once into OpenAI's envelope.

Every failure a client can see is an :class:`ApiError`; the single exception handler in
:func:`install` turns it into ``{"error": {"message", "type", "param", "code"}}`` with the
status the error carries. Anything else that escapes a route becomes a 500 without a
traceback in the body (the traceback goes to the log).

    ApiError(status, message, type, param, code)
    ├── InvalidRequest          400 invalid_request_error   (bad field: param names it)
    │   └── ContentPolicy       400 content_policy_violation
    ├── Unauthorized            401 invalid_api_key
    ├── PermissionDenied        403 model_not_allowed / master_key_required
    ├── NotFound                404 (model_not_found, ...)
    ├── Conflict                409 (idempotency_key_reused, idempotency_key_in_use, name_taken)
    ├── PayloadTooLarge         413 (param names the part)
    ├── RangeNotSatisfiable     416 range_not_satisfiable (a result link's Range; imagegate.store.ranges)
    ├── RateLimited             429 rate_limit_exceeded (+ Retry-After)
    │   └── InsufficientQuota   429 insufficient_quota (the key's budget)
    ├── ClientClosed            499 client_closed_request (logged; nobody is left to read it)
    ├── UpstreamError           502 upstream_error / upstream_auth_error
    ├── ServiceUnavailable      503 (no_channel_available, database_unavailable, rate_limiter_unavailable)
    │   └── StorageUnavailable  503 storage_unavailable (the result store; imagegate.store.base)
    └── UpstreamTimeout         504 upstream_timeout
        └── DeadlinePassed      504 deadline_exceeded (imagegate.policy)

Responses carry the request's ``x-request-id``; the one for an unexpected error is set here,
the others by :mod:`imagegate.api.observe`.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from .context import peek

log = logging.getLogger("imagegate")


class ApiError(Exception):
    status = 500
    type = "server_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class InvalidRequest(ApiError):
    status = 400
    type = "invalid_request_error"
    code = "invalid_value"


class ContentPolicy(InvalidRequest):
    type = "image_generation_user_error"
    code = "content_policy_violation"


class Unauthorized(ApiError):
    status = 401
    type = "invalid_request_error"
    code = "invalid_api_key"


class PermissionDenied(ApiError):
    status = 403
    type = "invalid_request_error"
    code = "model_not_allowed"


class NotFound(ApiError):
    status = 404
    type = "invalid_request_error"
    code = "not_found"


class Gone(ApiError):
    status = 410
    type = "invalid_request_error"
    code = "expired"


class Conflict(ApiError):
    status = 409
    type = "invalid_request_error"
    code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    type = "invalid_request_error"
    code = "payload_too_large"


class RateLimited(ApiError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"


class InsufficientQuota(RateLimited):
    type = "insufficient_quota"
    code = "insufficient_quota"


class ClientClosed(ApiError):
    status = 499
    type = "invalid_request_error"
    code = "client_closed_request"


class UpstreamError(ApiError):
    status = 502
    type = "upstream_error"
    code = "upstream_error"


class ServiceUnavailable(ApiError):
    status = 503
    type = "server_error"
    code = "service_unavailable"


class UpstreamTimeout(ApiError):
    status = 504
    type = "upstream_error"
    code = "upstream_timeout"


def missing(param: str) -> InvalidRequest:
    return InvalidRequest(f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")


def unknown(param: str) -> InvalidRequest:
    return InvalidRequest(f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


def error_response(err: ApiError) -> Response:
    return Response(orjson.dumps(err.body()), err.status, err.headers, media_type="application/json")


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kinds: dict[int, type[ApiError]] = {404: NotFound, 405: InvalidRequest, 413: PayloadTooLarge}
    kind = kinds.get(exc.status_code, InvalidRequest)
    err = kind(str(exc.detail), code="method_not_allowed" if exc.status_code == 405 else None)
    err.status = exc.status_code
    return error_response(err)


VALIDATION_CODES = {"extra_forbidden": "unknown_parameter", "missing": "missing_required_parameter"}


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    param = ".".join(loc) or None
    message = str(first.get("msg", "Invalid request."))
    code = VALIDATION_CODES.get(str(first.get("type")), "invalid_value")
    return error_response(InvalidRequest(f"{param}: {message}" if param else message, param=param, code=code))


async def _client_disconnect(_: Request, exc: Exception) -> Response:
    return error_response(ClientClosed("The client closed the request."))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    ctx = peek()
    err = ApiError("The server had an error while processing your request.", code="internal_error",
                   headers={"x-request-id": ctx.request_id} if ctx is not None else None)
    return error_response(err)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnect)
    app.add_exception_handler(Exception, _unexpected)
