"""BFL and fal as ``[[channels]]`` for the same Kontext model: fal takes over what BFL fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.e2e.channels import channel_state, reload, toml_value
from tests.e2e.flux.helpers import generate
from tests.e2e.helpers import api_error, check_envelope, raised
from tests.fakes.bfl_upstream import FakeBFL
from tests.fakes.fal_upstream import FakeFal
from tests.harness import Gateway, running

POLL = {"interval": 0.01, "max_interval": 0.05, "deadline": 5}


def task_channel(name: str, provider: str, origin: str, key: str, models: dict[str, str], priority: int) -> str:
    fields = {"name": name, "provider": provider, "base_url": origin, "api_key": key, "models": models,
              "priority": priority, "poll": POLL}
    return "[[channels]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in fields.items())


@pytest.fixture(scope="module")
def flux_gateway(bfl: FakeBFL, fal: FakeFal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = Path(tmp_path_factory.mktemp("flux-failover"))
    config = data_dir / "imagegate.toml"
    config.write_text("retry_backoff = 0.01\n" + "\n".join((
        task_channel("bfl-main", "bfl", bfl.origin, bfl.api_key, {"flux-kontext-pro": "flux-kontext-pro"}, 1),
        task_channel("fal-backup", "fal", fal.origin, fal.api_key, {"flux-kontext-pro": "fal-ai/flux-pro/kontext"}, 0),
    )))
    with running(data_dir, {"BFL_API_KEY": "", "FAL_KEY": ""}, config) as gw:
        yield gw


@pytest.fixture
def client(flux_gateway: Gateway) -> Iterator[openai.OpenAI]:
    reload(flux_gateway)
    with flux_gateway.client() as sdk:
        yield sdk


@pytest.mark.parametrize("outcome", ["Error", "Failed"])
def test_a_failed_bfl_task_is_made_by_fal(client: openai.OpenAI, bfl: FakeBFL, fal: FakeFal, outcome: str) -> None:
    bfl.next_outcomes(outcome)
    body = generate(client, model="flux-kontext-pro", prompt="a fox")
    assert len(body["data"]) == 1
    assert len(bfl.submitted()) == 1 and len(fal.submitted()) == 1


def test_rejected_bfl_key_disables_it_and_fal_serves(client: openai.OpenAI, flux_gateway: Gateway, bfl: FakeBFL,
                                                      fal: FakeFal) -> None:
    bfl.fail_submits(403, body={"detail": "Not authenticated"})
    assert len(generate(client, model="flux-kontext-pro", prompt="p")["data"]) == 1
    assert channel_state(flux_gateway, "bfl-main")["state"] == "disabled"
    assert len(generate(client, model="flux-kontext-pro", prompt="p")["data"]) == 1
    assert len(bfl.submitted()) == 1 and len(fal.submitted()) == 2


def test_moderation_is_not_sent_to_fal(client: openai.OpenAI, bfl: FakeBFL, fal: FakeFal) -> None:
    bfl.next_outcomes("Request Moderated")
    failure = raised(lambda: client.images.generate(model="flux-kontext-pro", prompt="p"))
    api_error(failure, 400, param=None, code="content_policy_violation")
    assert fal.submitted() == []


def test_fan_out_fits_every_channel_and_retries_one_image(client: openai.OpenAI, bfl: FakeBFL, fal: FakeFal) -> None:
    bfl.next_outcomes("ok", "Error", "ok")
    body = generate(client, model="flux-kontext-pro", prompt="p", n=3, response_format="b64_json")
    assert len(body["data"]) == 3
    assert len(bfl.submitted()) == 3  # one image per call: BFL makes one per task
    assert [r.json["num_images"] for r in fal.submitted()] == [1]


def test_webp_always_goes_to_bfl(client: openai.OpenAI, bfl: FakeBFL, fal: FakeFal) -> None:
    """fal makes only jpeg and png, so a webp request is never given to it, even when it would be next."""
    for _ in range(3):
        body = generate(client, model="flux-kontext-pro", prompt="p", output_format="webp")
        assert body["output_format"] == "webp"
    assert len(bfl.submitted()) == 3 and fal.submitted() == []


def test_webp_with_bfl_failing_is_an_availability_error_never_fal_s_400(client: openai.OpenAI, bfl: FakeBFL,
                                                                         fal: FakeFal) -> None:
    bfl.fail_submits(503, count=50, body={"detail": "overloaded"})
    failure = raised(lambda: client.images.generate(model="flux-kontext-pro", prompt="p",
                                                    extra_body={"output_format": "webp"}))
    error = check_envelope(failure.response.json())
    assert failure.status_code in (502, 503, 504) and error["code"] != "unsupported_value"
    assert fal.submitted() == []
    assert len(generate(client, model="flux-kontext-pro", prompt="p", output_format="png")["data"]) == 1
    assert len(fal.submitted()) == 1  # the same model in png: fal takes over while BFL fails


def test_a_value_no_channel_can_take_is_a_400_before_any_upstream_call(client: openai.OpenAI, bfl: FakeBFL,
                                                                        fal: FakeFal) -> None:
    failure = raised(lambda: client.images.generate(model="flux-kontext-pro", prompt="p",
                                                    extra_body={"output_format": "gif"}))
    api_error(failure, 400, param="output_format", code="invalid_value")
    assert bfl.submitted() == [] and fal.submitted() == []
