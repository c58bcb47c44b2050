"""Results in S3 on a fleet: three gateway processes on one PostgreSQL database, one Redis and one bucket (moto's S3
server on loopback), each with its own data directory, so nothing is shared through a local disk.

A link made on node A is served by B and C (same bytes, ETag, Content-Length, ranges); a tampered or expired
link is refused by every node; a node whose S3 is unreachable fails requests and async jobs cleanly (503
``storage_unavailable``), charges nothing and stores nothing; ``links = "presigned"`` hands out the bucket's own
link; the sweep deletes expired objects from the bucket.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from imagegate.store import Signer
from tests.e2e.helpers import image_file, wait_for
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, SECRET, SINGLE_CHANNEL_ENV, Gateway, database_url, free_port, openai_env, running
from tests.s3server import S3, moto_s3

BUCKET = "fleet-results"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    with moto_s3() as server:
        server.bucket(BUCKET)
        yield server


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def shared(s3: S3, upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What every node of the fleet shares: the database, Redis (own prefix), the bucket, the secret."""
    return {**openai_env(upstream), **SINGLE_CHANNEL_ENV, **s3.env(),
            "IMAGEGATE_DATABASE_URL": database_url("postgresql", tmp_path_factory.mktemp("db")),
            "IMAGEGATE_REDIS_URL": "redis://127.0.0.1:6379/0",
            "IMAGEGATE_REDIS_PREFIX": f"fleet-storage-{uuid.uuid4().hex[:8]}",
            "IMAGEGATE_STORAGE_URL": f"s3://{BUCKET}/fleet"}


@pytest.fixture(scope="module")
def fleet(shared: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Gateway]]:
    with (running(tmp_path_factory.mktemp("node-a"), shared) as a,
          running(tmp_path_factory.mktemp("node-b"), shared) as b,
          running(tmp_path_factory.mktemp("node-c"), shared) as c):
        yield [a, b, c]


def generate(gateway: Gateway, key: str = MASTER, headers: dict[str, str] | None = None,
             **extra: Any) -> httpx.Response:
    with gateway.http(key) as http:
        return http.post("/v1/images/generations", json={"model": "dall-e-2", "prompt": "a lighthouse",
                                                         "size": "256x256", "response_format": "url", **extra},
                         headers=headers)


def on_node(link: str, gateway: Gateway) -> str:
    """The same link (path and query) on another node."""
    parts = urlsplit(link)
    return f"{gateway.url}{parts.path}?{parts.query}"


def made_on_a(fleet: list[Gateway]) -> str:
    answer = generate(fleet[0])
    assert answer.status_code == 200, answer.text
    link: str = answer.json()["data"][0]["url"]
    assert link.startswith(fleet[0].url)
    return link


def test_a_link_made_on_one_node_is_served_by_every_node(fleet: list[Gateway], s3: S3) -> None:
    link = made_on_a(fleet)
    name = urlsplit(link).path.rsplit("/", 1)[1]
    assert f"fleet/results/{name}" in s3.keys(BUCKET)
    assert not (fleet[0].data_dir / "results" / name).exists()  # in the bucket, not on A's disk
    answers = [httpx.get(on_node(link, node)) for node in fleet]
    assert [r.status_code for r in answers] == [200, 200, 200]
    body = answers[0].content
    assert body.startswith(PNG) and all(r.content == body for r in answers)
    assert {r.headers["etag"] for r in answers} == {answers[0].headers["etag"]}
    assert all(r.headers["content-length"] == str(len(body)) for r in answers)
    assert all(r.headers["content-type"] == "image/png" and r.headers["x-content-type-options"] == "nosniff"
               and r.headers["cache-control"].startswith("private, max-age=") for r in answers)
    for node in fleet[1:]:
        part = httpx.get(on_node(link, node), headers={"Range": "bytes=4-13"})
        assert part.status_code == 206 and part.content == body[4:14]
        assert part.headers["content-range"] == f"bytes 4-13/{len(body)}" and part.headers["content-length"] == "10"
        tail = httpx.get(on_node(link, node), headers={"Range": "bytes=-8"})
        assert tail.status_code == 206 and tail.content == body[-8:]
        past = httpx.get(on_node(link, node), headers={"Range": f"bytes={len(body)}-"})
        assert past.status_code == 416 and past.json()["error"]["code"] == "range_not_satisfiable"
        assert past.headers["content-range"] == f"bytes */{len(body)}"


def test_an_edit_job_submitted_on_one_node_runs_on_another(fleet: list[Gateway], shared: dict[str, str], s3: S3,
                                                          tmp_path: Path) -> None:
    """The uploads wait in the bucket: a node without workers takes the job, B or C fetch them and run it."""
    with running(tmp_path, {**shared, "IMAGEGATE_JOB_WORKERS": "0"}) as front, front.http() as http:
        submitted = http.post("/v1/images/edits", headers={"Prefer": "respond-async"},
                              data={"model": "dall-e-2", "prompt": "add a boat", "size": "256x256",
                                    "response_format": "url"}, files={"image": image_file(64, 64)})
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["id"]
        job = wait_for(lambda: (body := http.get(f"/v1/images/jobs/{job_id}").json())["status"]
                       in ("succeeded", "failed") and body, "the job to end")
    assert job["status"] == "succeeded", job
    image = httpx.get(on_node(job["result"]["data"][0]["url"], fleet[2]))
    assert image.status_code == 200 and image.content.startswith(PNG)
    wait_for(lambda: s3.keys(BUCKET, f"fleet/job-inputs/{job_id}/") == [], "the job's uploads to be removed")


def test_tampered_and_expired_links_are_refused_on_every_node(fleet: list[Gateway]) -> None:
    link = made_on_a(fleet)
    name = urlsplit(link).path.rsplit("/", 1)[1]
    tampered = link[:-1] + ("0" if link[-1] != "0" else "1")
    expired = Signer(SECRET.encode(), 60, fleet[0].url).url(name, time.time() - 3600)
    for node in fleet:
        refused = httpx.get(on_node(tampered, node))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "invalid_signature"
        gone = httpx.get(on_node(expired, node))
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "link_expired"


def test_an_unreachable_store_fails_cleanly_and_charges_nothing(shared: dict[str, str], s3: S3,
                                                                 tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    before = s3.keys(BUCKET)
    alone = {"IMAGEGATE_REDIS_PREFIX": f"{shared['IMAGEGATE_REDIS_PREFIX']}-alone"}  # its jobs run on it
    with running(tmp_path, {**shared, **alone, "AWS_ENDPOINT_URL": closed}) as node:
        with node.http() as http:
            key = http.post("/admin/keys", json={"name": f"s3-down-{uuid.uuid4().hex[:6]}"}).json()["key"]
        failed = generate(node, key, n=2)
        assert failed.status_code == 503, failed.text
        assert failed.json()["error"]["code"] == "storage_unavailable"
        submitted = generate(node, key, headers={"Prefer": "respond-async"})
        assert submitted.status_code == 202, submitted.text
        with node.http(key) as http:
            job = wait_for(lambda: (body := http.get(f"/v1/images/jobs/{submitted.json()['id']}").json())
                           ["status"] in ("failed", "succeeded") and body, "the job to end")
            total = wait_for(lambda: (line := http.get("/v1/usage").json()["total"])["requests"] == 2 and line,
                             "both usage rows (written in batches)")
    assert job["status"] == "failed" and job["error"]["code"] == "storage_unavailable"
    assert total["cost_usd"] == 0 and total["images"] == 0 and total["failed"] == 2
    assert s3.keys(BUCKET) == before
    assert not any((tmp_path / folder).is_dir() and any((tmp_path / folder).iterdir())
                   for folder in ("results", "job-results"))


def test_presigned_links_are_the_buckets_own(shared: dict[str, str], s3: S3, tmp_path: Path) -> None:
    with running(tmp_path, {**shared, "IMAGEGATE_LINKS": "presigned", "IMAGEGATE_URL_TTL": "900"}) as node:
        answer = generate(node)
    assert answer.status_code == 200, answer.text
    link = answer.json()["data"][0]["url"]
    assert link.startswith(f"{s3.endpoint}/{BUCKET}/fleet/results/") and "X-Amz-Expires=900" in link
    download = httpx.get(link)
    assert download.status_code == 200 and download.content.startswith(PNG)
    assert download.headers["content-type"] == "image/png"


def test_the_sweep_deletes_expired_objects(shared: dict[str, str], s3: S3, tmp_path: Path) -> None:
    env = {**shared, "IMAGEGATE_STORAGE_URL": f"s3://{BUCKET}/swept", "IMAGEGATE_URL_TTL": "1",
           "IMAGEGATE_SWEEP_INTERVAL": "0.2"}
    with running(tmp_path, env) as node:
        answer = generate(node)
        assert answer.status_code == 200, answer.text
        name = urlsplit(answer.json()["data"][0]["url"]).path.rsplit("/", 1)[1]
        wait_for(lambda: f"swept/results/{name}" not in s3.keys(BUCKET, "swept/"), "the sweep to delete the object")
        gone = httpx.get(on_node(answer.json()["data"][0]["url"], node))
    assert gone.status_code in (404, 410)


def test_presigned_links_need_s3(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as err, running(tmp_path, {"IMAGEGATE_LINKS": "presigned"}):
        pass
    assert "IMAGEGATE_LINKS" in str(err.value) and "IMAGEGATE_STORAGE_URL" in str(err.value)
