"""``imagegate serve`` as a real process: ``--host/--port/--config`` reach one worker and several, and an
unknown ``IMAGEGATE_*`` variable stops the start with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, SETTING_PREFIXES, Gateway, free_port, stop_gateway


def base_env(data_dir: Path) -> dict[str, str]:
    """This process's environment without any imagegate setting or upstream key, plus a data dir and keys."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(SETTING_PREFIXES)}
    return {**env, "IMAGEGATE_MASTER_KEY": MASTER, "IMAGEGATE_DATA_DIR": str(data_dir), "IMAGEGATE_JOB_WORKERS": "0"}


def write_config(path: Path, upstream: FakeOpenAI, name: str) -> Path:
    path.write_text(f'port = 9\n[[channels]]\nname = "{name}"\nbase_url = "{upstream.base_url}"\n'
                    f'api_key = "{upstream.api_key}"\nmodels = ["dall-e-2"]\n')
    return path


def serve(data_dir: Path, *args: str) -> Iterator[Gateway]:
    """``imagegate serve ARGS`` on a free port given by ``--port``; stopped when the test is done."""
    port = free_port()
    env, log = base_env(data_dir), data_dir / "gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "imagegate", "serve", "--host", "127.0.0.1",
                                    "--port", str(port), *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    gateway = Gateway(f"http://127.0.0.1:{port}", data_dir, env, process, log)
    deadline = time.monotonic() + 60
    try:
        while True:
            assert process.poll() is None, f"imagegate exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"imagegate did not start:\n{log.read_text()}"
            try:
                if httpx.get(f"{gateway.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield gateway
    finally:
        stop_gateway(gateway)


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_options_reach_the_app(upstream: FakeOpenAI, tmp_path: Path, workers: int) -> None:
    config = write_config(tmp_path / "imagegate.toml", upstream, "first")
    for gateway in serve(tmp_path, "--config", str(config), "--workers", str(workers)):
        with gateway.http() as http:
            assert [m["id"] for m in http.get("/v1/models").json()["data"]] == ["dall-e-2"]
            write_config(config, upstream, "second")
            reloaded = http.post("/admin/reload")
        assert reloaded.status_code == 200 and reloaded.json()["channels"] == ["second"], reloaded.text
        result = gateway.client().images.generate(model="dall-e-2", prompt="p", size="256x256")
        assert result.data[0].url is not None and result.data[0].url.startswith(gateway.url)


def test_an_unknown_variable_stops_serve_with_exit_2(tmp_path: Path) -> None:
    env = {**base_env(tmp_path), "IMAGEGATE_MASTER_KYE": "m", "IMAGEGATE_PORT": str(free_port())}
    result = subprocess.run([sys.executable, "-m", "imagegate", "serve"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["imagegate: invalid configuration: unknown setting IMAGEGATE_MASTER_KYE; "
                                          "did you mean IMAGEGATE_MASTER_KEY?"]
    assert not (tmp_path / "imagegate.db").exists()
