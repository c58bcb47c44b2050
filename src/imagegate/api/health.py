"""``/healthz``: the process is up and answering (liveness), and whether it is on the fleet's shared state
(``shared_state``: ``local`` without Redis, ``shared``, or ``degraded`` while Redis can't be reached; see
:mod:`imagegate.shared`). ``/readyz``: the node can serve: its database, Redis (when configured; an outage is
``degraded``, still ready) and result storage answer, and it is not draining (readiness; see
:mod:`imagegate.readiness`). 200 when ready, else 503; the body names every check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..lifecycle import Lifecycle
from ..schema import HealthStatus, ReadyStatus
from .deps import SharedStateDep, json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthStatus)
async def healthz(shared: SharedStateDep) -> Response:
    return json_response({"status": "ok", "shared_state": shared.mode()})


@router.get("/readyz", response_model=ReadyStatus, responses={503: {"model": ReadyStatus}})
async def readyz(request: Request) -> Response:
    lifecycle: Lifecycle = request.app.state.lifecycle
    ready, body = await lifecycle.readiness.report()
    return json_response(body, status=200 if ready else 503)
