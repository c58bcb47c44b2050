"""SIGKILL the gateway while jobs are queued and in progress, start it again: every job finishes exactly
once, is charged exactly once, and BFL tasks already submitted are resumed by their polling URL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import fetch
from tests.e2e.jobs.helpers import submit, wait
from tests.fakes.bfl_upstream import FakeBFL
from tests.harness import Gateway, start_gateway, stop_gateway

JOBS = 5
PRICE = 40_000  # flux-kontext-pro's list price per image, in micro-dollars
WORKERS = 2


@pytest.fixture
def bfl() -> Iterator[FakeBFL]:
    with FakeBFL() as fake:
        yield fake


def environment(bfl: FakeBFL) -> dict[str, str]:
    return {"BFL_API_KEY": bfl.api_key, "BFL_BASE_URL": bfl.origin, "IMAGEGATE_POLL_INTERVAL": "0.01",
            "IMAGEGATE_POLL_MAX_INTERVAL": "0.05", "IMAGEGATE_POLL_DEADLINE": "120", "IMAGEGATE_JOB_LEASE": "1",
            "IMAGEGATE_JOB_POLL": "0.05", "IMAGEGATE_JOB_WORKERS": str(WORKERS), "IMAGEGATE_MAX_ATTEMPTS": "1"}


def stored_tasks(data_dir: Path) -> dict[str, dict[str, object]]:
    with sqlite3.connect(data_dir / "imagegate.db") as db:
        rows = db.execute("select id, tasks, status from image_jobs").fetchall()
    return {job_id: json.loads(tasks) for job_id, tasks, _ in rows if tasks and json.loads(tasks)}


def charges(data_dir: Path) -> dict[str, list[tuple[int, int]]]:
    """Per job, its usage rows: (price, upstream cost), in micro-dollars."""
    with sqlite3.connect(data_dir / "imagegate.db") as db:
        rows = db.execute("select request_id, price_micros, upstream_cost_micros from usage").fetchall()
    found: dict[str, list[tuple[int, int]]] = {}
    for request_id, price, cost in rows:
        found.setdefault(request_id, []).append((price, cost))
    return found


def test_jobs_survive_sigkill(bfl: FakeBFL, tmp_path: Path) -> None:
    bfl.held = True  # no task finishes until the gateway has been killed
    first = start_gateway(tmp_path, environment(bfl))
    try:
        with first.http() as http:
            ids = [submit(http, {"model": "flux-kontext-pro", "prompt": f"job {i}"})["id"] for i in range(JOBS)]
            for _ in range(3000):
                if len(stored_tasks(tmp_path)) == WORKERS:
                    break
                wait(http, ids[0], ("in_progress", "queued"), rounds=1)
            assert len(stored_tasks(tmp_path)) == WORKERS
            assert len(bfl.submitted()) == WORKERS
            for _ in range(3000):  # BFL's progress of a running task shows on its job
                if 0.5 in (progress := [http.get(f"/v1/images/jobs/{i}").json().get("progress") for i in ids]):
                    break
            assert 0.5 in progress
    finally:
        first.process.kill()
        first.process.wait(10)
    bfl.held = False
    second: Gateway = start_gateway(tmp_path, environment(bfl))
    try:
        with second.http() as http:
            done = [wait(http, job_id) for job_id in ids]
            sizes = [fetch(job["result"]["data"][0]["url"]).size for job in done if job["status"] == "succeeded"]
    finally:
        stop_gateway(second)
    assert [job["status"] for job in done] == ["succeeded"] * JOBS, done
    assert len(bfl.submitted()) == JOBS  # the two tasks submitted before the kill were not submitted again
    assert charges(tmp_path) == {job_id: [(PRICE, 40_000)] for job_id in ids}  # BFL's 4 credits: $0.04
    assert sizes == [(1024, 1024)] * JOBS
