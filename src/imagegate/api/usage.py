"""``GET /v1/usage``: the caller's own usage (the master key: requests made with the master key)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from ..ledger.reports import report
from ..schema import UsageReport, error_responses
from .deps import DatabaseDep, KeysDep, PrincipalDep, json_response, since_time
from .present import budget_state, usage_report

router = APIRouter(prefix="/v1", tags=["usage"])


@router.get("/usage", response_model=UsageReport, responses=error_responses(400, 401, 503))
async def own_usage(db: DatabaseDep, keys: KeysDep, principal: PrincipalDep, by: Literal["model", "day"] = "model",
                    since: Annotated[str | None, Query(description="A date or ISO 8601 time (UTC).")] = None,
                    ) -> Response:
    when = since_time(since)
    groups = await report(db, by, principal.key_id if principal.key_id is not None else "master", when)
    body = usage_report(groups, by, when, principal.name)
    if principal.key_id is not None:
        views = await keys.list(str(principal.key_id))
        body["budget"] = budget_state(views[0]) if views else None
    return json_response(body)
