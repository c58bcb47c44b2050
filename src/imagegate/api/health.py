"""``/healthz``: the process is up and serving."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ..schema import HealthStatus
from .deps import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthStatus)
async def healthz() -> Response:
    return json_response({"status": "ok"})
