"""``/metrics``: Prometheus text format, for the metrics key or the master key."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import PlainTextResponse, Response

from ..schema import error_responses
from .deps import MetricsDep, ScraperDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=PlainTextResponse, responses={
    200: {"description": "The Prometheus text exposition format."}, **error_responses(401, 403, 503)})
async def metrics(registry: MetricsDep, _: ScraperDep) -> Response:
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
