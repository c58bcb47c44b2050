"""``imagegate channels``: channel rows from a running gateway's ``/admin/channels``, as a table."""

from __future__ import annotations

from typing import Any

import httpx


class AdminError(Exception):
    """The gateway answered, but not with the channels (wrong key, ...)."""


def fetch(url: str, key: str | None) -> list[dict[str, Any]]:
    """Channel rows from a running gateway; ``httpx.TransportError`` if nothing answers at ``url``."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = httpx.get(f"{url.rstrip('/')}/admin/channels", headers=headers, timeout=10)
    if response.status_code != 200:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise AdminError(f"{url} answered {response.status_code}: {message}")
    rows: list[dict[str, Any]] = response.json()["data"]
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
