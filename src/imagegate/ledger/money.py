"""Money as whole micro-dollars (1 USD = 1,000,000): exact sums everywhere, Decimal only at the edges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MICROS = 1_000_000


def to_micros(usd: Decimal | str | int) -> int:
    """Exact micro-dollars of a USD amount; more than six decimals is an error, not a rounding."""
    try:
        value = Decimal(usd) * MICROS
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {usd!r}") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"not an amount in whole micro-dollars: {usd!r}")
    return int(value)


def usd(micros: int) -> Decimal:
    return Decimal(micros).scaleb(-6)


def usd_text(micros: int) -> str:
    """``42000`` → ``"0.042"``: plain decimal notation, no exponent, no trailing zeros."""
    return format(usd(micros).normalize(), "f")


def usd_number(micros: int) -> float:
    """For JSON: the nearest float, which prints back as the exact six-decimal amount."""
    return micros / MICROS


def round_micros(usd: float) -> int:
    """Micro-dollars of an amount someone else computed (an upstream's cost), rounded half up."""
    return int((Decimal(str(usd)) * MICROS).to_integral_value(ROUND_HALF_UP))
