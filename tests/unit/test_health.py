"""Channel health: failures in a window, cooldown, probing, rests, credit, disabling; times are given."""

from __future__ import annotations

from imagegate.health import COOLING, DISABLED, HEALTHY, Health


def test_cools_after_allowed_fails_within_the_window() -> None:
    health = Health(allowed_fails=2, window=10, cooldown=5)
    assert health.failed(0.0, probe=False) is None
    assert health.failed(11.0, probe=False) is None  # the first fell out of the window
    assert health.failed(12.0, probe=False) == "failures"
    assert health.state is COOLING and health.until == 17.0
    assert not health.usable(16.9) and health.status(16.9) == "cooling"


def test_cooled_channel_is_probed_one_call_at_a_time() -> None:
    health = Health(allowed_fails=1, window=10, cooldown=5)
    health.failed(0.0, probe=False)
    assert health.usable(5.0) and health.status(5.0) == "probing"
    assert health.begin() is True
    assert not health.usable(5.0)  # one probe at a time
    health.succeeded(0.2, probe=True)
    health.end(True)
    assert health.state is HEALTHY and health.usable(5.0) and health.in_flight == 0


def test_failed_probe_cools_again_at_once() -> None:
    health = Health(allowed_fails=3, window=10, cooldown=5)
    for t in (0.0, 0.1, 0.2):
        health.failed(t, probe=False)
    probe = health.begin()
    assert health.failed(6.0, probe) == "probe_failed" and health.until == 11.0
    health.end(probe)
    assert not health.usable(10.9) and health.usable(11.0)


def test_calls_started_before_a_cooldown_neither_extend_nor_end_it() -> None:
    health = Health(allowed_fails=1, window=10, cooldown=5)
    health.failed(0.0, probe=False)
    assert health.failed(1.0, probe=False) is None and health.until == 5.0
    health.succeeded(0.3, probe=False)
    assert health.state is COOLING


def test_rate_limit_rests_for_the_given_seconds() -> None:
    health = Health(cooldown=30)
    assert health.rest(0.0, 2.0) == "rate_limited"
    assert health.resting(1.0) and not health.resting(2.0)
    assert health.rest(0.5, 1.0) is None and health.until == 2.0  # a shorter rest doesn't cut the first one


def test_insufficient_credit_cools_at_once() -> None:
    health = Health(allowed_fails=5, cooldown=30)
    assert health.exhausted(0.0) == "insufficient_credit" and health.until == 30.0


def test_disabled_until_reload() -> None:
    health = Health()
    assert health.disable("auth") is True and health.disable("auth") is False
    assert health.state is DISABLED and not health.usable(1e9)
    assert health.failed(1.0, probe=False) is None and health.rest(1.0, 5) is None and health.exhausted(1.0) is None
    health.succeeded(0.1, probe=False)  # a call that started before the 401 does not enable it again
    assert health.state is DISABLED


def test_snapshot_reports_error_rate_and_latency() -> None:
    health = Health(allowed_fails=10)
    for latency in (0.1, 0.2, 0.3):
        health.succeeded(latency, probe=False)
    health.failed(0.0, probe=False)
    snap = health.snapshot(0.0)
    assert snap["state"] == "healthy" and snap["in_flight"] == 0 and snap["cooldown_remaining"] == 0.0
    assert snap["recent"] == {"requests": 4, "error_rate": 0.25, "latency_ms": {"p50": 200, "p95": 300}}


def test_snapshot_of_a_cooling_channel() -> None:
    health = Health(allowed_fails=1, cooldown=5)
    health.failed(0.0, probe=False)
    snap = health.snapshot(1.0)
    assert snap["state"] == "cooling" and snap["reason"] == "failures" and snap["cooldown_remaining"] == 4.0
    assert snap["recent"]["latency_ms"] == {"p50": None, "p95": None}


def test_adopt_takes_on_the_fleets_cooldown_and_its_end() -> None:
    h = Health()
    assert h.adopt("cooling", "rate_limited", 1030.0)
    assert (h.state, h.reason, h.until) == ("cooling", "rate_limited", 1030.0)
    assert h.resting(1000.0) and not h.usable(1000.0)
    assert not h.adopt("cooling", "rate_limited", 1030.0)  # nothing new


def test_adopt_healthy_ends_only_a_cooldown() -> None:
    h = Health()
    h.adopt("cooling", "failures", 1000.0)
    assert h.adopt("healthy", "", 0.0)
    assert h.state == "healthy" and h.reason == ""
    assert not h.adopt("healthy", "", 0.0)


def test_adopt_never_revives_a_disabled_channel() -> None:
    h = Health()
    assert h.adopt("disabled", "auth", 0.0)
    assert not h.adopt("healthy", "", 0.0)
    assert not h.adopt("cooling", "failures", 5.0)
    assert (h.state, h.reason) == ("disabled", "auth")


def test_adopt_ignores_an_unknown_state() -> None:
    h = Health()
    assert not h.adopt("sideways", "", 0.0)
    assert h.state == "healthy"
