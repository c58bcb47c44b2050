"""When the demo model is served: alone when nothing is configured (and the start line says so), beside an
upstream with ``IMAGEGATE_DEMO=true``, never with ``IMAGEGATE_DEMO=false``, and not beside an upstream by default."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway, openai_env, running


def served(gateway: Gateway) -> list[str]:
    with gateway.client() as client:
        return sorted(model.id for model in client.models.list())


def test_the_start_line_says_the_demo_model_is_served_and_how_to_add_an_upstream(bare: Gateway) -> None:
    log = bare.log.read_text()
    assert "no upstream configured, so serving the built-in demo model" in log
    assert "set OPENAI_API_KEY" in log and "IMAGEGATE_DEMO=false" in log


def test_demo_true_serves_it_beside_an_upstream(upstream: FakeOpenAI, tmp_path: Path) -> None:
    with running(tmp_path, {**openai_env(upstream), "IMAGEGATE_DEMO": "true"}) as gateway:
        assert served(gateway) == ["dall-e-2", "dall-e-3", "demo", "gpt-image-1", "gpt-image-1-all", "gpt-image-2"]
        with gateway.client() as client:
            real = client.images.generate(model="dall-e-2", prompt="fox", size="256x256",
                                          response_format="b64_json")
            demo = client.images.generate(model="demo", prompt="fox", size="64x64")
        assert real.data[0].b64_json and demo.data[0].b64_json
        assert len(upstream.requests) == 1  # the demo model made no upstream call
        assert "serving dall-e-2, dall-e-3, demo, gpt-image-1" in gateway.log.read_text()


def test_an_upstream_turns_the_demo_model_off(upstream: FakeOpenAI, tmp_path: Path) -> None:
    with running(tmp_path, openai_env(upstream)) as gateway:
        assert "demo" not in served(gateway)
        with gateway.client() as client, pytest.raises(openai.APIStatusError) as err:
            client.images.generate(model="demo", prompt="fox", size="64x64")
    assert err.value.status_code in (400, 404) and err.value.body["param"] == "model"  # type: ignore[index]
    assert not upstream.requests


def test_demo_false_with_nothing_configured_serves_no_models(tmp_path: Path) -> None:
    with running(tmp_path, {"IMAGEGATE_DEMO": "false"}) as gateway:
        assert served(gateway) == []
        log = gateway.log.read_text()
    assert "serving no models on" in log and "no upstream configured (set OPENAI_API_KEY" in log
    assert "demo" not in log


def test_a_bad_demo_setting_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="demo"), running(tmp_path, {"IMAGEGATE_DEMO": "maybe"}):
        pass
