"""Ledger records → the admin and usage API's JSON (shapes in :mod:`imagegate.schema`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..ledger import KeyView
from ..ledger.money import usd_number
from ..ledger.reports import UsageGroup, total


def _unix(when: datetime | None) -> int | None:
    return int(when.timestamp()) if when is not None else None


def key_object(view: KeyView, now: datetime) -> dict[str, Any]:
    key = view.key
    return {
        "id": key.id, "object": "api_key", "name": key.name, "prefix": key.prefix, "status": key.status(now),
        "created_at": _unix(key.created_at), "revoked_at": _unix(key.revoked_at),
        "expires_at": _unix(key.expires_at), "models": list(key.models) if key.models is not None else None,
        "rpm": key.rpm, "budget_usd": usd_number(key.budget_micros) if key.budget_micros is not None else None,
        "budget_period": key.budget_period, "spent_usd": usd_number(view.spent_period_micros),
        "reserved_usd": usd_number(view.reserved_micros), "spent_total_usd": usd_number(view.spent_total_micros),
        "requests": view.requests,
    }


def budget_state(view: KeyView) -> dict[str, Any] | None:
    if view.key.budget_micros is None:
        return None
    return {"budget_usd": usd_number(view.key.budget_micros), "budget_period": view.key.budget_period or "total",
            "spent_usd": usd_number(view.spent_period_micros), "reserved_usd": usd_number(view.reserved_micros)}


def usage_line(group: UsageGroup) -> dict[str, Any]:
    return {"group": group.group, "requests": group.requests, "failed": group.failed, "images": group.images,
            "input_tokens": group.input_tokens, "output_tokens": group.output_tokens,
            "cost_usd": usd_number(group.price_micros), "upstream_cost_usd": usd_number(group.upstream_cost_micros)}


def usage_report(groups: list[UsageGroup], by: str, since: datetime | None, key: str | None) -> dict[str, Any]:
    return {"object": "usage_report", "by": by, "since": _unix(since), "key": key,
            "data": [usage_line(g) for g in groups], "total": usage_line(total(groups))}
