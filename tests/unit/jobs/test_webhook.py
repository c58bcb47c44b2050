"""Webhook URL checks and signatures (literal addresses only), and delivery to a local receiver."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from aiohttp import web

from imagegate.errors import InvalidRequest
from imagegate.jobs.webhook import Notifier, signature


@pytest.mark.parametrize("url", ["https://127.0.0.1/h", "https://10.0.0.1/h", "https://172.16.5.4/h",
                                 "https://[::ffff:127.0.0.1]/h", "https://100.64.0.1/h", "https://224.0.0.1/h",
                                 "http://93.184.216.34/h", "https://93.184.216.34:notaport/h", "//x/h"])
async def test_refused(url: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        await Notifier("s", [], 5).check(url)
    assert (info.value.param, info.value.code) == ("webhook_url", "invalid_value")


async def test_public_https_and_allow_listed_hosts_pass() -> None:
    notifier = Notifier("s", ["127.0.0.1"], 5)
    assert await notifier.check("https://93.184.216.34/hook") == "https://93.184.216.34/hook"
    assert await notifier.check("http://127.0.0.1:9/hook") == "http://127.0.0.1:9/hook"


def test_signature_is_hmac_sha256_over_time_and_body() -> None:
    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signature(b"k", b"{}", 1700000000) == f"t=1700000000,v1={expected}"


class Receiver:
    """A local webhook receiver answering the given statuses in turn; records each call's connection."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.peers: list[object] = []
        self.bodies: list[bytes] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def _hook(self, request: web.Request) -> web.Response:
        self.peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        self.bodies.append(await request.read())
        return web.Response(status=self.statuses[min(len(self.bodies), len(self.statuses)) - 1])

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def test_delivery_is_retried_over_one_connection(waits: list[float]) -> None:
    async with Receiver([500, 503, 204]) as receiver:
        assert await Notifier("s", ["127.0.0.1"], 5).send(receiver.url, {"id": "job"}) is True
    assert receiver.bodies == [b'{"id":"job"}'] * 3
    assert waits == [0.5, 2.0]
    assert len(set(receiver.peers)) == 1  # one session: the connection was kept between attempts


async def test_delivery_gives_up_after_three_attempts(waits: list[float], caplog: pytest.LogCaptureFixture) -> None:
    async with Receiver([500]) as receiver:
        assert await Notifier("s", ["127.0.0.1"], 5).send(receiver.url, {"id": "job"}) is False
    assert len(receiver.bodies) == 3 and waits == [0.5, 2.0]
    assert "webhook not delivered" in caplog.text


async def test_first_success_is_not_repeated(waits: list[float]) -> None:
    async with Receiver([200]) as receiver:
        assert await Notifier("s", ["127.0.0.1"], 5).send(receiver.url, {"id": "job"}) is True
    assert len(receiver.bodies) == 1 and waits == []


async def test_an_unreachable_receiver_is_retried_then_given_up(waits: list[float]) -> None:
    async with Receiver([204]) as receiver:
        url = receiver.url
    assert await Notifier("s", ["127.0.0.1"], 5).send(url, {"id": "job"}) is False
    assert waits == [0.5, 2.0]
