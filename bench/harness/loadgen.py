"""Run the load generators (wrk for JSON, the httpx edit client for multipart) on the load core."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .servers import LOAD_CORE

BENCH_DIR = Path(__file__).resolve().parent.parent
WRK_SCRIPT = BENCH_DIR / "wrk" / "post_json.lua"
EDIT_CLIENT = Path(__file__).resolve().parent / "edit_client.py"


@dataclass
class LoadResult:
    """Normalised outcome of one load run; latencies in milliseconds."""

    requests: int
    ok: int
    duration_s: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: dict[str, int]
    raw: dict[str, object]

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def num(value: object) -> float:
    """A number from parsed JSON (0.0 for anything else)."""
    return float(value) if isinstance(value, int | float | str) else 0.0


def failed(reason: str) -> LoadResult:
    return LoadResult(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, {"harness": 1}, {"error": reason})


def extract_json(output: str) -> dict[str, object] | None:
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            parsed: dict[str, object] = json.loads(line[len("BENCH_JSON ") :])
            return parsed
    return None


def mapping(value: object) -> dict[str, object]:
    """A JSON object from parsed output ({} for anything else)."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def run_pinned(argv: list[str], timeout: float, env: dict[str, str] | None = None) -> dict[str, object] | str:
    """Run a load generator on the load core; its BENCH_JSON summary, or a reason it gave none."""
    try:
        proc = subprocess.run(
            ["taskset", "-c", str(LOAD_CORE), *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{Path(argv[0]).name} timed out after {timeout:.0f} s"
    data = extract_json(proc.stdout)
    if data is None:
        return f"no summary (rc={proc.returncode}): {proc.stderr[-500:]}{proc.stdout[-300:]}"
    return data


def run_wrk(
    url: str,
    body: dict[str, str] | tuple[Path, str],
    key: str,
    concurrency: int,
    seconds: float,
) -> LoadResult:
    """wrk -t1 -c<concurrency> POSTing `body`; latency percentiles come from the Lua done().

    `body` is a JSON object, or (file, content type) for a prepared body such as multipart.
    """
    env = {**os.environ, "BENCH_KEY": key}
    if isinstance(body, dict):
        env["BENCH_BODY"] = json.dumps(body)
    else:
        env["BENCH_BODY_FILE"], env["BENCH_CONTENT_TYPE"] = str(body[0]), body[1]
    argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "60s"]
    argv += ["--latency", "-s", str(WRK_SCRIPT), url]
    data = run_pinned(argv, seconds + 90, env)
    if isinstance(data, str):
        return failed("wrk: " + data)
    errs, lat = mapping(data.get("errors")), mapping(data.get("latency_us"))
    requests = int(num(data.get("requests")))
    ok = requests - int(num(errs.get("status")))
    duration = num(data.get("duration_us")) / 1e6
    return LoadResult(
        requests=requests,
        ok=ok,
        duration_s=round(duration, 3),
        rps=round(ok / duration, 2) if duration else 0.0,
        p50_ms=num(lat.get("p50")) / 1000,
        p95_ms=num(lat.get("p95")) / 1000,
        p99_ms=num(lat.get("p99")) / 1000,
        errors={k: int(num(v)) for k, v in errs.items() if v},
        raw=data,
    )


def run_edit_client(
    url: str,
    key: str,
    image: Path,
    images: int,
    concurrency: int,
    seconds: float,
    max_requests: int = 1_000_000,
    timeout: float = 120.0,
) -> LoadResult:
    """The httpx multipart client as a separate process pinned to the load core."""
    argv = [sys.executable, str(EDIT_CLIENT), "--url", url, "--key", key, "--image", str(image)]
    argv += ["--images", str(images), "--concurrency", str(concurrency), "--seconds", str(seconds)]
    argv += ["--max-requests", str(max_requests), "--timeout", str(timeout)]
    data = run_pinned(argv, seconds + timeout + 120)
    if isinstance(data, str):
        return failed("edit client: " + data)
    lat, statuses = mapping(data.get("latency_ms")), mapping(data.get("statuses"))
    errors = {f"http_{k}": int(num(v)) for k, v in statuses.items() if not k.startswith("2")}
    errors.update({k: int(num(v)) for k, v in mapping(data.get("errors")).items()})
    return LoadResult(
        requests=int(num(data.get("requests"))),
        ok=int(num(data.get("ok"))),
        duration_s=num(data.get("duration_s")),
        rps=num(data.get("rps")),
        p50_ms=num(lat.get("p50")),
        p95_ms=num(lat.get("p95")),
        p99_ms=num(lat.get("p99")),
        errors=errors,
        raw=data,
    )
