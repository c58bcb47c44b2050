"""Async-job helpers: submit with ``Prefer: respond-async``, wait for a job's end."""

from __future__ import annotations

import time
from typing import Any

import httpx

ASYNC = {"Prefer": "respond-async"}
ENDED = ("succeeded", "failed", "canceled")


def submit(http: httpx.Client, body: dict[str, Any], path: str = "/v1/images/generations") -> dict[str, Any]:
    response = http.post(path, json=body, headers=ASYNC)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/v1/images/jobs/{job['id']}"
    return job


def wait(http: httpx.Client, job_id: str, until: tuple[str, ...] = ENDED, rounds: int = 3000) -> dict[str, Any]:
    """Poll the job until its status is one of ``until`` (bounded by rounds, not by a time)."""
    for _ in range(rounds):
        response = http.get(f"/v1/images/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in until:
            return job
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} never reached {until}: {job}")
