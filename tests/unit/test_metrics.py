"""The metrics text: requests, images, cost, retries, upstream errors, cooldowns and each channel's state."""

from __future__ import annotations

from imagegate.health import Health
from imagegate.metrics import Metrics
from imagegate.router import Channel, Router


def test_metrics_text() -> None:
    metrics = Metrics("n1")
    sick = Health(allowed_fails=1)
    channels = [Channel("a", "openai", "http://u", "k", {"m": "m"}), Channel("b", "openai", "http://u", "k",
                                                                             {"m": "m"}, health=sick)]
    router = Router(channels)
    sick.failed(router.clock(), probe=False)
    metrics.watch(lambda: router)
    metrics.request_done("m", 200, 0.3, 2, 0.04)
    metrics.request_done("m", 502, 0.1, None, None)
    metrics.model("m").retries.inc()
    metrics.channel("b").error("server_error")
    metrics.channel("b").cooldown("failures")
    metrics.channel("a").in_flight.inc()
    text = metrics.render().decode()
    for line in ('imagegate_requests_total{model="m",node="n1",status="200"} 1.0',
                 'imagegate_requests_total{model="m",node="n1",status="502"} 1.0',
                 'imagegate_request_duration_seconds_count{model="m",node="n1"} 2.0',
                 'imagegate_images_total{model="m",node="n1"} 2.0',
                 'imagegate_cost_usd_total{model="m",node="n1"} 0.04',
                 'imagegate_retries_total{model="m",node="n1"} 1.0',
                 'imagegate_upstream_errors_total{channel="b",kind="server_error",node="n1"} 1.0',
                 'imagegate_channel_cooldowns_total{channel="b",node="n1",reason="failures"} 1.0',
                 'imagegate_channel_in_flight{channel="a",node="n1"} 1.0',
                 'imagegate_channel_state{channel="b",node="n1",state="cooling"} 1.0',
                 'imagegate_channel_state{channel="a",node="n1",state="healthy"} 1.0'):
        assert line in text
    assert all('node="n1"' in line for line in text.splitlines() if not line.startswith("#"))
    assert "_created" not in text
