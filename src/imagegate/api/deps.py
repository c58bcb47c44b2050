"""Route dependencies as ``Annotated`` aliases."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from ..auth import Principal
from ..errors import InvalidRequest, PayloadTooLarge
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
    return await gateway.auth.authenticate(request.headers.get("authorization"))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given[:64] if given.isprintable() and given else uuid.uuid4().hex


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
