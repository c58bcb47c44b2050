"""``storage_url`` picks the stores: today's folders under the data directory by default, a folder of one's choice
with ``file://``, a bucket and prefix with ``s3://`` (with the gateway's or the bucket's own links)."""

from __future__ import annotations

from pathlib import Path

from imagegate.config import load_settings
from imagegate.store import LocalStore, Signer
from imagegate.store.choose import open_stores
from imagegate.store.links import Presigned
from imagegate.store.s3 import S3ResultStore

SIGNER = Signer(b"secret", 60, "http://gateway.test")
AWS = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "key"}


def test_the_default_is_the_data_directory(tmp_path: Path) -> None:
    stores = open_stores(load_settings(data_dir=tmp_path), SIGNER, {})
    assert isinstance(stores.results, LocalStore) and isinstance(stores.job_results, LocalStore)
    assert (stores.results.root, stores.job_results.root) == (tmp_path / "results", tmp_path / "job-results")
    assert stores.links is SIGNER and stores.job_links is SIGNER


def test_a_file_url_names_the_folder(tmp_path: Path) -> None:
    stores = open_stores(load_settings(storage_url=f"file://{tmp_path}/shared"), SIGNER, {})
    assert isinstance(stores.results, LocalStore) and stores.results.root == tmp_path / "shared" / "results"


def test_an_s3_url_names_bucket_and_prefix() -> None:
    stores = open_stores(load_settings(storage_url="s3://media/imagegate/"), SIGNER, AWS)
    assert isinstance(stores.results, S3ResultStore) and isinstance(stores.job_results, S3ResultStore)
    assert (stores.results.bucket, stores.results.prefix) == ("media", "imagegate/results")
    assert stores.job_results.prefix == "imagegate/job-results" and stores.links is SIGNER
    bare = open_stores(load_settings(storage_url="s3://media"), SIGNER, AWS)
    assert isinstance(bare.results, S3ResultStore) and bare.results.prefix == "results"


def test_presigned_links_come_from_each_store() -> None:
    stores = open_stores(load_settings(storage_url="s3://media/ig", links="presigned", url_ttl=120), SIGNER, AWS)
    assert isinstance(stores.links, Presigned) and isinstance(stores.job_links, Presigned)
    link = stores.job_links.url("A" * 24 + ".png")
    assert link.startswith("http://127.0.0.1:9/media/ig/job-results/" + "A" * 24 + ".png?")
    assert "X-Amz-Expires=120" in link
