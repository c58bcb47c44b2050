"""The S3 result store against moto's S3 server on loopback: put/head/ranged read, delete, the sweep, presigned
links, the content type the bucket answers with, and an unreachable endpoint failing fast as a 503."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from imagegate.store import StorageUnavailable
from imagegate.store.s3 import S3ResultStore, S3Uploads, s3_config
from tests.s3server import S3, free_port, moto_s3


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    with moto_s3() as server:
        yield server


@pytest.fixture
def store(s3: S3, request: pytest.FixtureRequest) -> S3ResultStore:
    bucket = s3.bucket(request.node.name.replace("_", "-")[:50])
    return S3ResultStore(bucket, "fleet/results", s3.env())


async def read_all(store: S3ResultStore, name: str, start: int, end: int) -> bytes:
    pieces = await store.open(name, start, end)
    assert pieces is not None
    return b"".join([piece async for piece in pieces])


async def test_put_head_read_delete(s3: S3, store: S3ResultStore) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB: read in several pieces
    name = await store.put(data, "png")
    assert s3.keys(store.bucket) == [f"fleet/results/{name}"]
    stored = await store.head(name)
    assert stored is not None and stored.size == len(data) and stored.etag.startswith('"')
    assert await read_all(store, name, 0, len(data)) == data
    assert await read_all(store, name, 1000, 3000) == data[1000:3000]
    assert await store.head("../../other.png") is None and await store.head("A" * 24 + ".png") is None
    await store.delete([name])
    assert await store.head(name) is None and s3.keys(store.bucket) == []
    assert await store.open(name, 0, 10) is None and await store.open("../x.png", 0, 1) is None


async def test_the_sweep_deletes_only_old_objects(s3: S3, store: S3ResultStore) -> None:
    name = await store.put(b"\x89PNG", "png")
    s3.client.put_object(Bucket=store.bucket, Key="outside/keep.png", Body=b"x")  # not under the store's prefix
    assert await store.sweep(3600) == 0
    assert await store.sweep(-1) == 1  # everything is older than a second in the future
    assert s3.keys(store.bucket) == ["outside/keep.png"]
    assert await store.head(name) is None


async def test_presigned_links_download_with_the_content_type(store: S3ResultStore) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    name = await store.put(svg, "svg")
    link = store.presign(name, 600)
    assert "X-Amz-Signature=" in link and "X-Amz-Expires=600" in link
    answer = httpx.get(link)
    assert answer.status_code == 200 and answer.content == svg
    assert answer.headers["content-type"] == "image/svg+xml"
    assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'


async def test_an_unreachable_endpoint_is_storage_unavailable(s3: S3) -> None:
    store = S3ResultStore("nowhere", "results", s3.env(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(StorageUnavailable) as err:
        await store.put(b"\x89PNG", "png")
    assert err.value.status == 503 and err.value.code == "storage_unavailable"
    with pytest.raises(StorageUnavailable):
        await store.head("A" * 24 + ".png")
    with pytest.raises(StorageUnavailable):
        await store.open("A" * 24 + ".png", 0, 1)


def test_the_standard_aws_variables() -> None:
    assert s3_config({}) == {"region": "us-east-1"}
    config = s3_config({"AWS_ENDPOINT_URL": "http://a:9000/", "AWS_ENDPOINT_URL_S3": "http://minio:9000/",
                        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "id",
                        "AWS_SECRET_ACCESS_KEY": "key", "AWS_SESSION_TOKEN": "token"})
    assert config == {"region": "eu-west-1", "endpoint": "http://minio:9000", "access_key_id": "id",
                      "secret_access_key": "key", "session_token": "token"}
    assert s3_config({"AWS_REGION": "auto", "AWS_DEFAULT_REGION": "x"})["region"] == "auto"


async def test_job_uploads_are_kept_fetched_and_dropped(s3: S3, tmp_path: Path) -> None:
    bucket = s3.bucket("job-uploads")
    uploads = S3Uploads(bucket, "fleet/job-inputs", s3.env())
    here, there = tmp_path / "a" / "imgjob_1", tmp_path / "b" / "imgjob_1"
    here.mkdir(parents=True)
    (here / "input0").write_bytes(b"first" * 100_000)
    (here / "input1").write_bytes(b"mask")
    await uploads.keep("imgjob_1", here)
    await uploads.keep("imgjob_10", here)  # a job whose id starts with the other's
    assert s3.keys(bucket, "fleet/job-inputs/imgjob_1/") == ["fleet/job-inputs/imgjob_1/input0",
                                                               "fleet/job-inputs/imgjob_1/input1"]
    await uploads.fetch("imgjob_1", there, ["input0", "input1"])
    assert sorted(p.name for p in there.iterdir()) == ["input0", "input1"]
    assert (there / "input0").read_bytes() == b"first" * 100_000 and (there / "input1").read_bytes() == b"mask"
    await uploads.drop("imgjob_1")
    assert s3.keys(bucket, "fleet/job-inputs/imgjob_1/") == [] and len(s3.keys(bucket, "fleet/job-inputs/")) == 2
    with pytest.raises(StorageUnavailable):
        await uploads.fetch("imgjob_1", tmp_path / "c", ["input0"])


async def test_uploads_that_cant_be_kept_are_storage_unavailable(s3: S3, tmp_path: Path) -> None:
    uploads = S3Uploads("nowhere", "job-inputs", s3.env(f"http://127.0.0.1:{free_port()}"))
    (tmp_path / "input0").write_bytes(b"x")
    with pytest.raises(StorageUnavailable):
        await uploads.keep("imgjob_2", tmp_path)
