"""Cooldown and recovery of a failing channel, and reloading channels (SIGHUP, /admin/reload) under traffic."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway, running

from .channels import channel, channel_state, metric, reload, write_config
from .helpers import wait_for

COOLDOWN = 3  # long enough that the request right after the cooldown starts surely lands inside it


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeOpenAI, FakeOpenAI, FakeOpenAI]]:
    with FakeOpenAI("sk-a") as a, FakeOpenAI("sk-b") as b, FakeOpenAI("sk-c") as c:
        yield a, b, c


def config(path: Path, a: FakeOpenAI, b: FakeOpenAI, *more: str) -> Path:
    return write_config(path, channel("primary", a, priority=10, allowed_fails=2, cooldown=COOLDOWN),
                        channel("backup", b), *more, retry_backoff=0.01)


@pytest.fixture(scope="module")
def gateway(fakes: tuple[FakeOpenAI, FakeOpenAI, FakeOpenAI],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    a, b, _ = fakes
    data_dir = Path(tmp_path_factory.mktemp("health"))
    with running(data_dir, {}, config(data_dir / "imagegate.toml", a, b)) as gw:
        yield gw


@pytest.fixture(autouse=True)
def fresh(gateway: Gateway, fakes: tuple[FakeOpenAI, FakeOpenAI, FakeOpenAI]) -> Iterator[None]:
    a, b, _ = fakes
    for fake in fakes:
        fake.reset()
    config(gateway.data_dir / "imagegate.toml", a, b)
    reload(gateway)
    yield
    config(gateway.data_dir / "imagegate.toml", a, b)  # some tests leave a broken file behind


def ok(gateway: Gateway) -> None:
    with gateway.client() as client:
        assert len(client.images.generate(model="gpt-image-1", prompt="a fox").data) == 1


def test_dead_channel_cools_down_is_skipped_and_comes_back(gateway: Gateway,
                                                           fakes: tuple[FakeOpenAI, FakeOpenAI, FakeOpenAI]) -> None:
    a, b, _ = fakes
    cooldowns = metric(gateway, "imagegate_channel_cooldowns_total", channel="primary", reason="failures")
    a.fail_next("status", count=2, status=500)
    ok(gateway)
    ok(gateway)  # the second failure within the window starts the cooldown
    assert channel_state(gateway, "primary")["state"] == "cooling"
    assert metric(gateway, "imagegate_channel_cooldowns_total", channel="primary", reason="failures") == cooldowns + 1
    assert metric(gateway, "imagegate_channel_state", channel="primary", state="cooling") == 1
    ok(gateway)
    assert len(a.image_requests) == 2 and len(b.image_requests) == 3  # skipped while cooling
    wait_for(lambda: channel_state(gateway, "primary")["state"] == "probing", "the end of the cooldown")
    ok(gateway)
    assert len(a.image_requests) == 3  # probed by live traffic
    assert channel_state(gateway, "primary")["state"] == "healthy"


def test_reload_keeps_running_requests(gateway: Gateway, fakes: tuple[FakeOpenAI, FakeOpenAI, FakeOpenAI]) -> None:
    a, _, _ = fakes
    a.fail_next("hang", delay=1.0)  # answers normally after a second
    answers: list[int] = []

    def slow_request() -> None:
        with gateway.http() as http:
            response = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "p"})
        answers.append(response.status_code)

    thread = threading.Thread(target=slow_request)
    thread.start()
    wait_for(lambda: a.image_requests, "the request to reach the upstream")
    reload(gateway)
    thread.join(30)
    assert answers == [200]


def test_sighup_reloads_channels(gateway: Gateway, fakes: tuple[FakeOpenAI, FakeOpenAI, FakeOpenAI]) -> None:
    a, b, c = fakes
    config(gateway.data_dir / "imagegate.toml", a, b, channel("third", c, priority=20))
    gateway.process.send_signal(signal.SIGHUP)

    def listed() -> bool:
        with gateway.http() as http:
            return "third" in {ch["name"] for ch in http.get("/admin/channels").json()["data"]}

    wait_for(listed, "the new channel after SIGHUP")
    ok(gateway)
    assert len(c.image_requests) == 1 and gateway.process.poll() is None


def test_sighup_with_a_broken_file_keeps_the_channels(gateway: Gateway) -> None:
    (gateway.data_dir / "imagegate.toml").write_text("max_attempts = 0\n")
    gateway.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration not reloaded" in gateway.log.read_text(), "the reload error in the log")
    assert gateway.process.poll() is None
    ok(gateway)


@pytest.mark.parametrize(("text", "says"), [
    ("max_attempts = 0\n", "max_attempts"),
    ("[[channels]]\nname = \"x\"\nbase_url = \"http://h\"\nprovider = \"nope\"\nmodels = [\"gpt-image-1\"]\n",
     "unknown provider 'nope'"),
    ("this is not toml", "not reloaded"),
])
def test_reload_refuses_a_bad_configuration(gateway: Gateway, text: str, says: str) -> None:
    (gateway.data_dir / "imagegate.toml").write_text(text)
    with gateway.http() as http:
        response = http.post("/admin/reload")
    error = response.json()["error"]
    assert response.status_code == 400 and error["code"] == "invalid_config" and says in error["message"]
    assert channel_state(gateway, "primary")["state"] == "healthy"
    ok(gateway)


@pytest.mark.parametrize(("key", "status", "code"), [(None, 401, "invalid_api_key"),
                                                     ("ig-wrong", 401, "invalid_api_key")])
def test_reload_needs_the_master_key(gateway: Gateway, key: str | None, status: int, code: str) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = httpx.post(f"{gateway.url}/admin/reload", headers=headers, timeout=10)
    assert response.status_code == status and response.json()["error"]["code"] == code
