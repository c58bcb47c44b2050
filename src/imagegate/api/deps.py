"""Route dependencies as ``Annotated`` aliases: each route names the few parts it needs.

The parts are built by :mod:`imagegate.bootstrap` and kept on the app; only this module reads
them from there. Key, rpm and master checks happen here, in one place; the model allow-list is
admission's (:mod:`imagegate.admission`).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from ..admission import Admission
from ..auth import SCOPE_PRINCIPAL, Authenticator, Principal, bearer
from ..bootstrap import Services
from ..config import Settings
from ..context import current
from ..errors import InvalidRequest, PermissionDenied
from ..jobs import Jobs
from ..ledger import Database, Keys
from ..ledger.idempotency import HEADER
from ..ledger.limits import parse_when
from ..ledger.money import usd_text
from ..maintenance import Reloader
from ..metrics import Metrics
from ..pipeline import Answer
from ..routing import Routing
from ..shared import SharedState
from ..store import ResultStore, Signer
from .bodies import MAX_JSON_BYTES as MAX_JSON_BYTES
from .bodies import read_json as read_json

_bearer = HTTPBearer(auto_error=False, description="An imagegate key, or the master key.")


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _part(name: str) -> Any:
    """A dependency giving one part of the gateway (``async``: FastAPI runs plain functions in a thread)."""
    async def get(request: Request) -> Any:
        return getattr(services_of(request), name)
    return Depends(get)


SettingsDep = Annotated[Settings, _part("settings")]
AdmissionDep = Annotated[Admission, _part("admission")]
JobsDep = Annotated[Jobs, _part("jobs")]
SignerDep = Annotated[Signer, _part("signer")]
StoreDep = Annotated[ResultStore, _part("store")]
KeysDep = Annotated[Keys, _part("keys")]
DatabaseDep = Annotated[Database, _part("db")]
ReloaderDep = Annotated[Reloader, _part("reloader")]
MetricsDep = Annotated[Metrics, _part("metrics")]
AuthDep = Annotated[Authenticator, _part("auth")]
SharedStateDep = Annotated[SharedState, _part("shared")]


async def _routing(request: Request) -> Routing:
    return services_of(request).live.current


RoutingDep = Annotated[Routing, Depends(_routing)]


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]  # the security scheme, in OpenAPI


async def principal_of(request: Request) -> Principal:
    """Who sent the request: its key (401 without a valid one), or a signed-in console session's."""
    given: Principal | None = request.scope.get(SCOPE_PRINCIPAL)  # the console's proxy: a signed-in session's
    principal = given or await services_of(request).auth.authenticate(request.headers.get("authorization"))
    current().key = principal.name
    return principal


async def get_principal(request: Request, _: BearerDep = None) -> Principal:
    return await principal_of(request)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_master(principal: PrincipalDep) -> Principal:
    """Operator routes: the master key only (401 without a valid key, 403 with a client key)."""
    if not principal.is_master:
        raise PermissionDenied("This endpoint needs the master key.", code="master_key_required")
    return principal


MasterDep = Annotated[Principal, Depends(get_master)]


IdempotencyHeader = Annotated[str | None, Header(
    alias=HEADER, description="Retries with the same key and body within 24 h get the first answer and are "
                              "charged once; the same key with another body is a 409.")]


def idempotency_key(value: str | None) -> str | None:
    """The ``Idempotency-Key`` header, checked."""
    if value is None:
        return None
    if not 1 <= len(value) <= 255 or not value.isascii() or not value.isprintable():
        raise InvalidRequest(f"'{HEADER}' must be 1 to 255 printable ASCII characters.", param=HEADER,
                             code="invalid_value")
    return value


async def get_scraper(request: Request, _: BearerDep = None) -> None:
    """``/metrics``: the metrics key (``IMAGEGATE_METRICS_KEY``), or the master key."""
    metrics_key = services_of(request).settings.metrics_key
    header = request.headers.get("authorization")
    if metrics_key and header and hmac.compare_digest(bearer(header).encode(), metrics_key.encode()):
        return
    await get_master(await get_principal(request))


ScraperDep = Annotated[None, Depends(get_scraper)]


async def request_id() -> str:
    """The request's id (see :mod:`imagegate.api.observe`)."""
    return current().request_id


RequestIdDep = Annotated[str, Depends(request_id)]


def since_time(since: str | None) -> datetime | None:
    """The ``since`` query parameter: a date (its midnight, UTC) or an ISO 8601 time."""
    if since is None:
        return None
    try:
        when: datetime = parse_when(since)
    except ValueError as exc:
        raise InvalidRequest(f"Invalid 'since': {exc}.", param="since", code="invalid_value") from None
    return when


def json_response(body: Any, request_id: str | None = None, status: int = 200) -> Response:
    headers = {"x-request-id": request_id} if request_id else None
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def image_response(answer: Answer, request_id: str, extra: dict[str, str] | None = None) -> Response:
    """The pipeline's answer, with ``x-imagegate-cost`` (USD) and ``extra`` headers; a replayed answer says so."""
    headers = {**(extra or {}), "x-request-id": request_id, "x-imagegate-cost": usd_text(answer.cost_micros)}
    if answer.replayed:
        headers["idempotent-replayed"] = "true"
    return Response(answer.content, 200, headers, media_type="application/json")
