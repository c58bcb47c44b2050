"""A job as clients see it (``GET /v1/images/jobs/{id}`` and webhooks). Result links are signed afresh
on every read, so they stay valid as long as the job does."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from ..store import Links
from .store import JobRow
from .tables import FAILED, SUCCEEDED


def accepted(job: JobRow) -> dict[str, Any]:
    return {"id": job.id, "object": "image.job", "status": job.status, "created": int(job.created_at)}


def _resigned(result: dict[str, Any], links: Links) -> dict[str, Any]:
    data = [{**entry, "url": links.url(unquote(urlsplit(entry["url"]).path.rsplit("/", 1)[1]))}
            if "url" in entry else entry for entry in result.get("data", [])]
    return {**result, "data": data}


def view(job: JobRow, links: Links) -> dict[str, Any]:
    body = {**accepted(job), "model": job.model, "expires_at": int(job.expires_at)}
    if job.progress is not None:
        body["progress"] = job.progress
    if job.finished_at is not None:
        body["finished_at"] = int(job.finished_at)
    if job.status == SUCCEEDED and job.result is not None:
        body["result"] = _resigned(job.result, links)
    if job.status == FAILED and job.error is not None:
        body["error"] = job.error["error"]
    return body
