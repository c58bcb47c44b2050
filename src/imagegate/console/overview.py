"""The overview: the last 30 days' spend, requests and images per day, by model and by key (operator), and
failed requests by status. Sums come from :func:`imagegate.ledger.reports.report`, as ``/admin/usage``'s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..ledger.money import usd_number
from ..ledger.reports import By, UsageGroup, report, total
from .render import page
from .session import SessionDep, services_of

router = APIRouter(prefix="/console", include_in_schema=False)
DAYS = 30


def _series(groups: list[UsageGroup]) -> dict[str, Any]:
    return {"labels": [g.group for g in groups], "spend": [usd_number(g.price_micros) for g in groups],
            "requests": [g.requests for g in groups], "images": [g.images for g in groups]}


@router.get("")
async def overview(request: Request, session: SessionDep) -> Response:
    services = services_of(request)
    since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS - 1)
    key: int | Literal["master"] | None = None if session.is_operator else session.principal.key_id
    views: list[By] = ["day", "model", "status"]
    if session.is_operator:
        views.append("key")
    groups = {by: await report(services.db, by, key, since) for by in views}
    errors = [g for g in groups["status"] if int(g.group) >= 400]
    budget = (await services.keys.list(str(key)))[0] if isinstance(key, int) else None
    charts: dict[str, Any] = {by: _series(groups[by]) for by in views if by != "status"}
    charts["errors"] = {"labels": [g.group for g in errors], "requests": [g.requests for g in errors]}
    return page(request, "overview.html", session, days=DAYS, total=total(groups["day"]), charts=charts,
                budget=budget, usd=usd_number)
