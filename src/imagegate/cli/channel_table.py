"""``imagegate channels``: channel rows from a running gateway's ``/admin/channels``, as a table.

One synchronous GET from the command line: the standard library's ``urllib.request`` does it.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit


class AdminError(Exception):
    """The gateway answered, but not with the channels (wrong key, ...)."""


class Unreachable(Exception):
    """Nothing answers at the URL."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (an error), not followed: the master key goes to the URL given, nowhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return body.decode(errors="replace")[:200]


def fetch(url: str, key: str | None) -> list[dict[str, Any]]:
    """Channel rows from a running gateway; :class:`Unreachable` if nothing answers at ``url``."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise AdminError(f"{url} is not an http(s) URL")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(f"{url.rstrip('/')}/admin/channels", headers=headers)
    try:
        with _OPENER.open(request, timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        raise AdminError(f"{url} answered {exc.code}: {_message(exc.read())}") from None
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, not HTTP
        raise Unreachable(str(exc)) from None
    if status != 200:
        raise AdminError(f"{url} answered {status}: {_message(body)}")
    try:
        rows: list[dict[str, Any]] = json.loads(body)["data"]
    except (ValueError, KeyError, TypeError):
        raise AdminError(f"{url} answered, but not with the channels") from None
    return rows


def _ms(value: int | None) -> str:
    return "-" if value is None else str(value)


def _cells(row: dict[str, Any]) -> list[str]:
    recent = row.get("recent") or {}
    latency = recent.get("latency_ms") or {}
    cap = row.get("max_concurrency")
    state = row.get("state", "-")
    if state == "cooling":
        state = f"cooling {row.get('cooldown_remaining', 0):.0f}s ({row.get('reason')})"
    elif state == "disabled":
        state = f"disabled ({row.get('reason')})"
    return [
        row["name"], row["provider"], str(row["priority"]), str(row["weight"]), state,
        f"{row.get('in_flight', 0)}/{cap if cap is not None else '-'}",
        f"{recent.get('error_rate', 0.0) * 100:.1f}%" if recent.get("requests") else "-",
        _ms(latency.get("p50")), _ms(latency.get("p95")), ",".join(row["models"]),
    ]


HEADER = ["NAME", "PROVIDER", "PRIO", "WEIGHT", "STATE", "IN-FLIGHT", "ERRORS", "P50 MS", "P95 MS", "MODELS"]


def table(rows: list[dict[str, Any]]) -> str:
    lines = [HEADER, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)
