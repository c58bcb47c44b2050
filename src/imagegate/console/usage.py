"""The usage log: rows filtered by key, model, outcome and date, with thumbnails of result files whose
links are still valid; CSV export. A user sees only their own key's rows, whatever the filter says."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ..api.deps import since_time
from ..errors import ApiError
from ..ledger.money import usd_text
from ..ledger.usage_log import COLUMNS, LogFilter, Outcome, rows
from .render import page
from .session import Session, SessionDep, services_of

router = APIRouter(prefix="/console/usage", include_in_schema=False)
PAGE_ROWS = 200
CSV_ROWS = 100_000
Text = Annotated[str, Query(max_length=200)]


def _filter(session: Session, key: str, model: str, status: str, since: str, until: str) -> LogFilter:
    """The filter the query asks for; a user's is always narrowed to their own key."""
    if session.is_operator:
        key_id: Any = "master" if key == "master" else int(key) if key.isdigit() else None
    else:
        key_id = session.principal.key_id
    outcome: Outcome | None = status if status in ("ok", "failed") else None  # type: ignore[assignment]
    end = since_time(until or None)
    return LogFilter(key_id, model or None, outcome, since_time(since or None),
                     end + timedelta(days=1) if end is not None and len(until.strip()) == 10 else end)


def _cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _thumbnails(request: Request, row: dict[str, Any], now: float) -> list[str]:
    """Signed links to the row's result files, while links made when it was answered would still be valid."""
    services = services_of(request)
    if not row["results"] or row["created_at"].timestamp() + services.settings.url_ttl <= now:
        return []
    return [services.signer.url(name, now) for name in row["results"]]


@router.get("")
async def usage_page(request: Request, session: SessionDep, key: Text = "", model: Text = "", status: Text = "",
                     since: Text = "", until: Text = "") -> Response:
    query = {"key": key, "model": model, "status": status, "since": since, "until": until}
    try:
        where = _filter(session, key, model, status, since, until)
    except ApiError as exc:
        return page(request, "usage.html", session, 400, error=str(exc), rows=[], query=query, keys=[])
    found = await rows(services_of(request).db, where, PAGE_ROWS)
    now = time.time()
    for row in found:
        row["thumbnails"] = _thumbnails(request, row, now)
        row["cost"] = usd_text(row["price_micros"])
    keys = await services_of(request).keys.list() if session.is_operator else []
    return page(request, "usage.html", session, rows=found, query=query, keys=keys, limit=PAGE_ROWS)


@router.get(".csv")
async def usage_csv(request: Request, session: SessionDep, key: Text = "", model: Text = "", status: Text = "",
                    since: Text = "", until: Text = "") -> Response:
    try:
        where = _filter(session, key, model, status, since, until)
    except ApiError as exc:
        return Response(str(exc), 400, media_type="text/plain")
    out = io.StringIO()
    writer = csv.writer(out)
    header = [c for c in COLUMNS if c not in ("price_micros", "results")]
    writer.writerow([*header, "cost_usd"])
    for row in await rows(services_of(request).db, where, CSV_ROWS):
        writer.writerow([*(row[c].isoformat() if c == "created_at" else _cell(row[c]) for c in header),
                         usd_text(row["price_micros"])])
    return Response(out.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="imagegate-usage.csv"'})
