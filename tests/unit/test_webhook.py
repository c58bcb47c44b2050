"""Webhook URL checks and signatures, without the network (literal addresses only)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

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
