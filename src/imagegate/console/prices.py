"""Prices: the table in force (list prices overlaid with the configured ones), as the gateway charges."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..ledger.money import usd_text
from ..ledger.pricing import PerImage, Price
from .render import page
from .session import SessionDep, services_of

router = APIRouter(prefix="/console/prices", include_in_schema=False)


def _lines(price: Price) -> dict[str, Any]:
    """A price as the page shows it: per-image entries, or USD per million tokens and tokens per image."""
    if isinstance(price, PerImage):
        return {"kind": "per image", "entries": [(k, f"${usd_text(v)}") for k, v in price.table.items()]}
    rates = [("text input", price.text_input), ("image input", price.image_input),
             ("image output", price.image_output)]
    if price.text_output is not None:
        rates.append(("text output", price.text_output))
    return {"kind": "per token", "entries": [(f"{name} / 1M tokens", f"${usd_text(v)}") for name, v in rates]
            + [(f"output tokens {k}", str(v)) for k, v in price.output_tokens.items()]}


@router.get("")
async def prices_page(request: Request, session: SessionDep) -> Response:
    routing = services_of(request).live.current
    allowed = session.principal.models
    prices = [(model, _lines(price)) for model, price in routing.prices.items() if allowed is None or model in allowed]
    return page(request, "prices.html", session, prices=prices)
