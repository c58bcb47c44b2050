"""Retry policy: which upstream failures are retried on another channel, and what each does to a channel.

    error                                   kind                 retried  channel
    RateLimited (429)                       rate_limited         yes      rests for Retry-After (capped)
    UpstreamError upstream_error (5xx, ...) server_error         yes      counts a failure
    UpstreamError upstream_unreachable      unreachable          yes      counts a failure
    UpstreamError upstream_bad_response     bad_response         yes      counts a failure
    UpstreamTimeout                         timeout              yes      counts a failure
    UpstreamError upstream_auth_error       auth                 yes      disabled until reload
    UpstreamError upstream_insufficient_... insufficient_credit  no       cools down at once
    ContentPolicy                           content_policy       no       answered: healthy
    InvalidRequest                          invalid_request      no       answered: healthy
    DeadlinePassed                          deadline             no       untouched
    anything else                           other                no       untouched
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from .config import Settings
from .errors import ApiError, ContentPolicy, InvalidRequest, RateLimited, UpstreamError, UpstreamTimeout


class DeadlinePassed(UpstreamTimeout):
    """The request's own deadline passed: no more attempts, whichever channel was slow."""

    code = "deadline_exceeded"


class Effect(Enum):
    ANSWERED = "answered"
    FAILURE = "failure"
    REST = "rest"
    EXHAUSTED = "exhausted"
    DISABLE = "disable"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str
    retry: bool
    effect: Effect


SERVER_ERROR = Verdict("server_error", True, Effect.FAILURE)
BY_CODE = {
    "upstream_auth_error": Verdict("auth", True, Effect.DISABLE),
    "upstream_insufficient_credit": Verdict("insufficient_credit", False, Effect.EXHAUSTED),
    "upstream_unreachable": Verdict("unreachable", True, Effect.FAILURE),
    "upstream_bad_response": Verdict("bad_response", True, Effect.FAILURE),
    "upstream_download_failed": Verdict("bad_response", True, Effect.FAILURE),
    "upstream_timeout": Verdict("timeout", True, Effect.FAILURE),
}
BY_CLASS: tuple[tuple[type[ApiError], Verdict], ...] = (  # most specific first
    (DeadlinePassed, Verdict("deadline", False, Effect.NONE)),
    (RateLimited, Verdict("rate_limited", True, Effect.REST)),
    (ContentPolicy, Verdict("content_policy", False, Effect.ANSWERED)),
    (InvalidRequest, Verdict("invalid_request", False, Effect.ANSWERED)),
)
OTHER = Verdict("other", False, Effect.NONE)


def judge(err: ApiError) -> Verdict:
    for cls, verdict in BY_CLASS:
        if isinstance(err, cls):
            return verdict
    if isinstance(err, UpstreamError | UpstreamTimeout):
        return BY_CODE.get(err.code or "", SERVER_ERROR)
    return OTHER


def retry_after(err: ApiError) -> float:
    """The upstream's Retry-After in seconds (imagegate always sets one on a 429)."""
    try:
        return max(0.0, float(err.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


@dataclass(frozen=True, slots=True)
class Policy:
    max_attempts: int = 3
    backoff: float = 0.25
    backoff_max: float = 4.0
    retry_after_max: float = 30.0
    queue_wait: float = 5.0
    deadline: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(settings.max_attempts, settings.retry_backoff, settings.retry_backoff_max,
                   settings.retry_after_max, settings.queue_wait, settings.deadline)

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds before ``attempt`` (2, 3, ...) goes back to a channel already tried: half fixed, half jitter."""
        ceiling: float = min(self.backoff_max, self.backoff * 2 ** (attempt - 2))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)
