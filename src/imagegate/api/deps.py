"""Route dependencies as ``Annotated`` aliases."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from ..auth import Principal, bearer
from ..context import current
from ..errors import InvalidRequest, PayloadTooLarge, PermissionDenied
from ..gateway import Gateway

_bearer = HTTPBearer(auto_error=False, description="An imagegate key, or the master key.")
MAX_JSON_BYTES = 2 * 1024 * 1024


async def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


async def get_principal(
    request: Request, gateway: GatewayDep,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Principal:
    principal = await gateway.auth.authenticate(request.headers.get("authorization"))
    current().key = principal.name
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_master(principal: PrincipalDep) -> Principal:
    """Operator routes: the master key only (401 without a valid key, 403 with a client key)."""
    if not principal.is_master:
        raise PermissionDenied("This endpoint needs the master key.", code="master_key_required")
    return principal


MasterDep = Annotated[Principal, Depends(get_master)]


async def get_scraper(request: Request, gateway: GatewayDep,
                      _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None) -> None:
    """``/metrics``: the metrics key (``IMAGEGATE_METRICS_KEY``), or the master key."""
    metrics_key = gateway.settings.metrics_key
    header = request.headers.get("authorization")
    if metrics_key and header and hmac.compare_digest(bearer(header).encode(), metrics_key.encode()):
        return
    await get_master(await get_principal(request, gateway))


ScraperDep = Annotated[None, Depends(get_scraper)]


async def request_id() -> str:
    """The request's id (see :mod:`imagegate.api.observe`)."""
    return current().request_id


RequestIdDep = Annotated[str, Depends(request_id)]


async def read_json(request: Request, limit: int = MAX_JSON_BYTES) -> dict[str, Any]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("The JSON body is too large.")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise PayloadTooLarge("The JSON body is too large.")
    body = bytes(chunks)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidRequest("The body is not valid JSON.", code="invalid_json") from None
    if not isinstance(value, dict):
        raise InvalidRequest("The body must be a JSON object.", code="invalid_json")
    return value


def json_response(body: Any, request_id: str | None = None, status: int = 200) -> Response:
    headers = {"x-request-id": request_id} if request_id else None
    return Response(orjson.dumps(body), status, headers, media_type="application/json")
