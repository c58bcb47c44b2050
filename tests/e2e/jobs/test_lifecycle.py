"""Async jobs end to end: 202 at once, then queued → in_progress → succeeded with signed links, charged once;
cancel; a job is visible only to its key; every bad input is an OpenAI error naming what is wrong."""

from __future__ import annotations

import sqlite3
import time

import httpx
import pytest

from tests.e2e.helpers import api_error, fetch, image_file
from tests.e2e.jobs.helpers import ASYNC, submit, wait
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway
from tests.openai_schema import validate


def usage_rows(gateway: Gateway, request_id: str) -> int:
    """Rows that charge for images (a failed or canceled job may leave a zero-price row with its status)."""
    with sqlite3.connect(gateway.data_dir / "imagegate.db") as db:
        query = "select count(*) from usage where request_id = ? and status = 200 and images > 0"
        return int(db.execute(query, (request_id,)).fetchone()[0])


def new_key(gateway: Gateway, name: str) -> str:
    created = gateway.cli("keys", "create", "--name", f"{name}-{time.time_ns()}")
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1].strip()


def test_generation_job_succeeds_with_links(gateway: Gateway, upstream: FakeOpenAI) -> None:
    with gateway.http() as http:
        job = submit(http, {"model": "dall-e-3", "prompt": "a lighthouse", "n": 2})
        assert job["object"] == "image.job" and job["status"] == "queued" and isinstance(job["created"], int)
        assert set(job) == {"id", "object", "status", "created"}
        done = wait(http, job["id"])
    assert done["status"] == "succeeded", done
    validate(done["result"], "ImagesResponse")
    assert [fetch(item["url"]).size for item in done["result"]["data"]] == [(1024, 1024)] * 2
    assert len(upstream.image_requests) == 2
    assert usage_rows(gateway, job["id"]) == 1


def test_edit_job_keeps_its_uploads(gateway: Gateway, upstream: FakeOpenAI) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/edits", headers=ASYNC, data={"model": "gpt-image-1", "prompt": "merge"},
                             files=[("image[]", image_file(64, 64, name="a.png")),
                                    ("image[]", image_file(32, 32, name="b.png"))])
        assert response.status_code == 202, response.text
        done = wait(http, response.json()["id"])
    assert done["status"] == "succeeded", done
    assert done["result"]["data"][0]["b64_json"]
    assert len(upstream.last.files) == 2
    assert not (gateway.data_dir / "jobs" / done["id"]).exists()


def test_failed_job_carries_the_error(gateway: Gateway, upstream: FakeOpenAI) -> None:
    upstream.fail_next("moderation")
    with gateway.http() as http:
        job = submit(http, {"model": "gpt-image-1", "prompt": "something"})
        done = wait(http, job["id"])
    assert done["status"] == "failed"
    assert done["error"]["code"] == "content_policy_violation" and "result" not in done
    assert usage_rows(gateway, job["id"]) == 0


def test_cancel_a_running_job(gateway: Gateway, upstream: FakeOpenAI) -> None:
    upstream.delay = 30
    with gateway.http() as http:
        job = submit(http, {"model": "gpt-image-1", "prompt": "slow"})
        wait(http, job["id"], ("in_progress",))
        canceled = http.delete(f"/v1/images/jobs/{job['id']}")
        assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
        assert wait(http, job["id"])["status"] == "canceled"
        again = http.delete(f"/v1/images/jobs/{job['id']}")
        assert again.status_code == 200 and again.json()["status"] == "canceled"
    assert usage_rows(gateway, job["id"]) == 0


def test_job_is_visible_only_to_its_key(gateway: Gateway) -> None:
    owner, other = new_key(gateway, "owner"), new_key(gateway, "other")
    with gateway.http(owner) as http:
        job = submit(http, {"model": "dall-e-2", "prompt": "mine", "size": "256x256"})
        assert wait(http, job["id"])["status"] == "succeeded"
    for key in (other, None):
        with gateway.http(key) as http:
            for method in ("GET", "DELETE"):
                response = http.request(method, f"/v1/images/jobs/{job['id']}")
                if key is None:
                    api_error(response, 401, param=None, code="invalid_api_key")
                else:
                    api_error(response, 404, param="id", code="job_not_found")
    with gateway.http() as http:  # not even the master key sees another key's job
        api_error(http.get(f"/v1/images/jobs/{job['id']}"), 404, param="id", code="job_not_found")


@pytest.mark.parametrize("job_id", ["imgjob_0000", "nope", "x" * 300])
def test_unknown_job(gateway: Gateway, job_id: str) -> None:
    with gateway.http() as http:
        api_error(http.get(f"/v1/images/jobs/{job_id}"), 404, param="id", code="job_not_found")
        api_error(http.delete(f"/v1/images/jobs/{job_id}"), 404, param="id", code="job_not_found")


def test_bad_prefer_and_bad_fields_are_refused_before_a_job(gateway: Gateway, upstream: FakeOpenAI) -> None:
    with gateway.http() as http:
        bad = http.post("/v1/images/generations", json={"model": "dall-e-2", "prompt": "p"},
                        headers={"Prefer": "respond-async=true"})
        api_error(bad, 400, param="Prefer", code="invalid_value")
        streamed = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "p", "stream": True},
                             headers=ASYNC)
        api_error(streamed, 400, param="stream", code="invalid_value")
        size = http.post("/v1/images/generations", json={"model": "dall-e-2", "prompt": "p", "size": "7x7"},
                         headers=ASYNC)
        api_error(size, 400, param="size", code="invalid_size")
    assert upstream.image_requests == []


def test_other_preferences_are_ignored(gateway: Gateway) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", json={"model": "dall-e-2", "prompt": "p", "size": "256x256"},
                             headers={"Prefer": "return=minimal, respond-async; foo=bar"})
        assert response.status_code == 202 and response.headers["preference-applied"] == "respond-async"
        plain = http.post("/v1/images/generations", json={"model": "dall-e-2", "prompt": "p", "size": "256x256"},
                          headers={"Prefer": "return=minimal"})
        assert plain.status_code == 200 and "data" in plain.json()
        wait(http, response.json()["id"])


def test_jobs_need_a_key(gateway: Gateway) -> None:
    with httpx.Client(base_url=gateway.url) as http:
        api_error(http.post("/v1/images/generations", json={"prompt": "p"}, headers=ASYNC), 401, param=None,
                  code="invalid_api_key")
