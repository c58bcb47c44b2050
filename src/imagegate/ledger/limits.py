"""What a key may do, validated once for the CLI and the admin API alike.

- ``budget_usd``: USD per ``budget_period`` (``day``, ``week`` — from Monday —, ``month`` or
  ``total``; UTC), at most six decimals. Default period: ``total``.
- ``models``: the only model ids the key may use (``null``: all).
- ``rpm``: requests per minute (sliding window).
- ``expires_at``: a date (the key stops working when that day begins, UTC) or an ISO 8601 time.

In an update, a field sent as ``null`` clears that limit and a field not sent is left as it is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

Period = Literal["day", "week", "month", "total"]
ModelId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def parse_when(value: Any) -> Any:
    """``YYYY-MM-DD`` → that midnight, UTC; an ISO time without an offset is UTC."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"expected a date (YYYY-MM-DD) or an ISO 8601 time, got {value!r}") from None
        return parse_when(parsed)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class KeyLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget_usd: Decimal | None = Field(None, ge=0, le=1_000_000_000, decimal_places=6, allow_inf_nan=False,
                                       description="USD the key may spend per budget_period; null: no budget.")
    budget_period: Period | None = Field(None, description="day, week, month or total (UTC). Default: total.")
    models: list[ModelId] | None = Field(None, min_length=1, description="Model ids the key may use; null: all.")
    rpm: int | None = Field(None, ge=1, le=1_000_000, description="Requests per minute; null: unlimited.")
    expires_at: datetime | None = Field(None, description="When the key stops working (a date means its "
                                        "midnight, UTC); null: never.", examples=["2030-01-31"])

    @field_validator("expires_at", mode="before")
    @classmethod
    def _when(cls, value: Any) -> Any:
        return parse_when(value)

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value

    @field_validator("models")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(value)) if value is not None else None


class KeyCreate(KeyLimits):
    name: Name = Field(..., description="A label, unique among active keys.")

    @field_validator("budget_period")
    @classmethod
    def _period_needs_budget(cls, value: Period | None, info: ValidationInfo) -> Period | None:
        if value is not None and info.data.get("budget_usd") is None:
            raise ValueError("a budget period needs a budget")
        return value


class KeyUpdate(KeyLimits):
    name: Name | None = None

    @field_validator("name", "budget_period")
    @classmethod
    def _not_null(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:  # only reached when sent: an unsent field keeps its default unvalidated
            raise ValueError(f"{info.field_name} can be changed but not cleared")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields that were sent, with their values (``None`` clears)."""
        return {name: getattr(self, name) for name in self.model_fields_set}
