"""Sign-in attempts per client address: a moving window of ``console_signin_per_minute`` (``limits``, in memory)."""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class SignInLimiter:
    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute, namespace="console-signin")
        self.strategy = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, client: str) -> bool:
        """Count an attempt from ``client``; False once the window is full (the attempt is not counted)."""
        return self.strategy.hit(self.item, client)
