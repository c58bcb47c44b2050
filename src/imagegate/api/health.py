"""``/healthz``: the process is up and answering (liveness). ``/readyz``: the node can serve: its database,
Redis (when configured) and result storage answer, and it is not draining (readiness; see
:mod:`imagegate.readiness`). 200 when ready, else 503; the body names every check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..lifecycle import Lifecycle
from ..schema import HealthStatus, ReadyStatus
from .deps import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthStatus)
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", response_model=ReadyStatus, responses={503: {"model": ReadyStatus}})
async def readyz(request: Request) -> Response:
    lifecycle: Lifecycle = request.app.state.lifecycle
    ready, body = await lifecycle.readiness.report()
    return json_response(body, status=200 if ready else 503)
