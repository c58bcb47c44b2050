"""``/healthz``: the process is up and serving, and whether it is on the fleet's shared state.

``shared_state`` is ``local`` (no Redis configured), ``shared`` or ``degraded`` (Redis can't be
reached: serving on this node's own state; see :mod:`imagegate.shared`).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ..schema import HealthStatus
from .deps import SharedStateDep, json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthStatus)
async def healthz(shared: SharedStateDep) -> Response:
    return json_response({"status": "ok", "shared_state": shared.mode()})
