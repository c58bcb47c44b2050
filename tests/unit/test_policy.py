"""Which upstream failures are retried, and what each does to its channel; backoff bounds."""

from __future__ import annotations

import random

import pytest

from imagegate.errors import (
    ApiError,
    ContentPolicy,
    InvalidRequest,
    NotFound,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
)
from imagegate.policy import DeadlinePassed, Effect, Policy, judge, retry_after


@pytest.mark.parametrize(("err", "kind", "retry", "effect"), [
    (RateLimited("slow down", headers={"Retry-After": "3"}), "rate_limited", True, Effect.REST),
    (UpstreamError("boom"), "server_error", True, Effect.FAILURE),
    (UpstreamError("gone", code="upstream_unreachable"), "unreachable", True, Effect.FAILURE),
    (UpstreamError("junk", code="upstream_bad_response"), "bad_response", True, Effect.FAILURE),
    (UpstreamError("junk", code="upstream_download_failed"), "bad_response", True, Effect.FAILURE),
    (UpstreamError("new", code="upstream_something_new"), "server_error", True, Effect.FAILURE),
    (UpstreamTimeout("slow"), "timeout", True, Effect.FAILURE),
    (UpstreamError("key", code="upstream_auth_error"), "auth", True, Effect.DISABLE),
    (UpstreamError("broke", code="upstream_insufficient_credit"), "insufficient_credit", False, Effect.EXHAUSTED),
    (ContentPolicy("no"), "content_policy", False, Effect.ANSWERED),
    (InvalidRequest("bad", param="size"), "invalid_request", False, Effect.ANSWERED),
    (DeadlinePassed("late"), "deadline", False, Effect.NONE),
    (NotFound("what"), "other", False, Effect.NONE),
])
def test_verdicts(err: ApiError, kind: str, retry: bool, effect: Effect) -> None:
    verdict = judge(err)
    assert (verdict.kind, verdict.retry, verdict.effect) == (kind, retry, effect)


def test_retry_after() -> None:
    assert retry_after(RateLimited("x", headers={"Retry-After": "2.5"})) == 2.5
    assert retry_after(RateLimited("x", headers={"Retry-After": "soon"})) == 1.0
    assert retry_after(RateLimited("x")) == 1.0


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    policy = Policy(backoff=1.0, backoff_max=3.0)
    rng = random.Random(1)
    for attempt, ceiling in ((2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)):
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
