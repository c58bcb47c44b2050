"""One channel's health: healthy, cooling down, or disabled; and what it did recently.

A channel is *healthy* until ``allowed_fails`` failures land within ``window`` seconds; it
then *cools down* for ``cooldown`` seconds (an upstream 429 rests it for its Retry-After, an
insufficient-credit answer cools it at once). When the cooldown ends, live traffic probes
it: one request at a time until one succeeds (healthy again) or fails (another cooldown).
An upstream 401/403 *disables* it until the configuration is reloaded.

Times are ``time.monotonic()`` seconds passed in by the caller, so tests can drive the clock.
"""

from __future__ import annotations

from collections import deque
from typing import Any

HEALTHY, COOLING, DISABLED = "healthy", "cooling", "disabled"
RECENT = 100  # outcomes kept for the error rate and latency figures
RATE_LIMITED = "rate_limited"


class Health:
    __slots__ = ("allowed_fails", "window", "cooldown", "state", "reason", "until", "in_flight", "probes",
                 "_fails", "_recent")

    def __init__(self, allowed_fails: int = 3, window: float = 60.0, cooldown: float = 30.0) -> None:
        self.allowed_fails = allowed_fails
        self.window = window
        self.cooldown = cooldown
        self.state = HEALTHY
        self.reason = ""
        self.until = 0.0
        self.in_flight = 0
        self.probes = 0
        self._fails: deque[float] = deque()
        self._recent: deque[tuple[bool, float | None]] = deque(maxlen=RECENT)

    def usable(self, now: float) -> bool:
        """Healthy, or cooled down and not already being probed."""
        if self.state is HEALTHY:
            return True
        return self.state is COOLING and now >= self.until and not self.probes

    def resting(self, now: float) -> bool:
        """Waiting out an upstream's Retry-After: worth waiting for when nothing else can serve."""
        return self.state is COOLING and self.reason == RATE_LIMITED and now < self.until

    def begin(self) -> bool:
        """A call starts; True when it probes a cooling channel."""
        self.in_flight += 1
        probe = self.state is COOLING
        self.probes += probe
        return probe

    def end(self, probe: bool) -> None:
        self.in_flight -= 1
        self.probes -= probe

    def succeeded(self, latency: float | None, probe: bool) -> None:
        """The upstream answered (an image, or a refusal that is the request's fault).

        Only a probe ends a cooldown: a call that started before it says nothing about the channel now.
        """
        self._recent.append((True, latency))
        if probe and self.state is COOLING:
            self.state, self.reason = HEALTHY, ""
            self._fails.clear()

    def failed(self, now: float, probe: bool) -> str | None:
        """A failure the channel is to blame for; returns the cooldown reason if one starts."""
        self._recent.append((False, None))
        if self.state is not HEALTHY:
            return self._cool(now, self.cooldown, "probe_failed") if probe and self.state is COOLING else None
        self._fails.append(now)
        while self._fails and self._fails[0] <= now - self.window:
            self._fails.popleft()
        if len(self._fails) >= self.allowed_fails:
            return self._cool(now, self.cooldown, "failures")
        return None

    def rest(self, now: float, seconds: float) -> str | None:
        """An upstream 429: no traffic until its Retry-After (already capped) has passed."""
        self._recent.append((False, None))
        if self.state is DISABLED or (self.state is COOLING and self.until >= now + seconds):
            return None
        return self._cool(now, seconds, RATE_LIMITED)

    def exhausted(self, now: float) -> str | None:
        """The upstream account is out of credit: cool down at once."""
        self._recent.append((False, None))
        return None if self.state is DISABLED else self._cool(now, self.cooldown, "insufficient_credit")

    def disable(self, reason: str) -> bool:
        """Off until the configuration is reloaded; True if it was not already off."""
        self._recent.append((False, None))
        if self.state is DISABLED:
            return False
        self.state, self.reason = DISABLED, reason
        return True

    def adopt(self, state: str, reason: str, until: float) -> bool:
        """Take on the state the fleet recorded (``until`` on this clock); True if this health changed.

        A disabled channel stays disabled; a cooling one becomes healthy only by the record of a probe
        that succeeded somewhere."""
        if self.state is DISABLED or state not in (HEALTHY, COOLING, DISABLED):
            return False
        if state == DISABLED:
            self.state, self.reason = DISABLED, reason
            return True
        if state == COOLING:
            changed = self.state is not COOLING or abs(self.until - until) > 0.001
            self._cool(until, 0.0, reason)
            return changed
        if self.state is COOLING:
            self.state, self.reason = HEALTHY, ""
            self._fails.clear()
            return True
        return False

    def _cool(self, now: float, seconds: float, reason: str) -> str:
        self.state, self.reason, self.until = COOLING, reason, now + seconds
        self._fails.clear()
        return reason

    def status(self, now: float) -> str:
        """``healthy``, ``cooling``, ``probing`` (cooldown over, waiting for a success) or ``disabled``."""
        if self.state is COOLING and now >= self.until:
            return "probing"
        return self.state

    def snapshot(self, now: float) -> dict[str, Any]:
        recent = list(self._recent)
        errors = sum(1 for ok, _ in recent if not ok)
        latencies = sorted(t for ok, t in recent if ok and t is not None)
        return {
            "state": self.status(now),
            "reason": self.reason or None,
            "cooldown_remaining": round(max(0.0, self.until - now), 3) if self.state is COOLING else 0.0,
            "in_flight": self.in_flight,
            "recent": {
                "requests": len(recent),
                "error_rate": round(errors / len(recent), 4) if recent else 0.0,
                "latency_ms": {"p50": _percentile(latencies, 0.50), "p95": _percentile(latencies, 0.95)},
            },
        }


def _percentile(ordered: list[float], q: float) -> int | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000)
