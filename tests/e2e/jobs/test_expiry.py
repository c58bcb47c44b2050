"""A gateway configured to answer every request as a job (``respond_async``), whose jobs live one second:
the sweep deletes expired jobs with their result files; a stream still streams."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.helpers import image_file
from tests.e2e.jobs.helpers import wait
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import SINGLE_CHANNEL_ENV, Gateway, openai_env, running


@pytest.fixture(scope="module")
def short_lived(upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {**openai_env(upstream), "IMAGEGATE_RESPOND_ASYNC": "true", "IMAGEGATE_JOB_TTL": "1",
           "IMAGEGATE_SWEEP_INTERVAL": "0.2", **SINGLE_CHANNEL_ENV}
    with running(tmp_path_factory.mktemp("short-lived"), env) as gw:
        yield gw


def test_every_request_is_a_job_and_expires_with_its_files(short_lived: Gateway) -> None:
    with short_lived.http() as http:
        response = http.post("/v1/images/edits", data={"model": "dall-e-2", "prompt": "p", "size": "256x256"},
                             files=[("image", image_file(64, 64, name="a.png"))])
        assert response.status_code == 202, response.text
        job = wait(http, response.json()["id"])
        assert job["status"] == "succeeded"
        results = short_lived.data_dir / "job-results"
        assert len(list(results.iterdir())) == 1
        for _ in range(1000):
            gone = http.get(f"/v1/images/jobs/{job['id']}")
            if gone.status_code == 404 and not any(results.iterdir()):
                break
            time.sleep(0.02)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "job_not_found"
    assert not any(results.iterdir())
    assert not (short_lived.data_dir / "jobs" / job["id"]).exists()


def test_a_stream_is_not_made_a_job(short_lived: Gateway) -> None:
    with short_lived.client() as client:
        events = list(client.images.generate(model="gpt-image-1", prompt="p", stream=True))
    assert [e.type for e in events] == ["image_generation.completed"]
