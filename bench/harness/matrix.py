"""The benchmark matrix: workloads, targets, and running one cell with resource sampling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .edit_client import multipart_body
from .loadgen import LoadResult, failed, run_edit_client, run_wrk
from .procs import Sampler, Server, hwm_mb, machine_busy_pct, process_tree, rss_mb
from .servers import GATEWAY_CORE, MASTER_KEY

TARGETS = ("direct", "imagegate", "litellm")
PROMPT = "a watercolor lighthouse at dusk"


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str  # "wrk" (JSON generation), "edit" (httpx multipart client) or "wrk-edit" (multipart via wrk)
    variant: str  # fake upstream body set: "small" (64x64 PNG) or "large" (1024x1024 PNG)
    response_format: str = "b64_json"
    images: int = 1  # edit: image parts per request
    upload: str = "image_1mb.png"  # edit: file under data/uploads
    targets: tuple[str, ...] = TARGETS
    memory_only: bool = False  # run once at concurrency 1 with few requests; report RSS

    @property
    def endpoint(self) -> str:
        return "generations" if self.kind == "wrk" else "edits"


WORKLOADS = (
    Workload("gen-small", "wrk", "small"),
    Workload("gen-large", "wrk", "large"),
    Workload("gen-large-url", "wrk", "large", response_format="url", targets=("imagegate",)),
    Workload("edit-1mb", "edit", "small"),
    Workload("edit-1mb-wrk", "wrk-edit", "small"),
    Workload("edit-16x25mb", "edit", "small", images=16, upload="image_25mb.png", memory_only=True),
)


@dataclass
class Settings:
    seconds: float
    concurrencies: tuple[int, ...]
    warmup_seconds: float
    memory_requests: int
    data_dir: Path
    quiet_wait_s: float = 10.0  # wait at most this long before a cell for the machine to be quiet
    quiet_busy_pct: float = 30.0  # "quiet": both cores together busier than this (of 200 %) is not
    noise_retries: int = 1  # rerun a gateway cell this many times at most when core 0 was disturbed
    noise_retry_pct: float = 20.0  # "disturbed": core 0 busier than this with other processes


@dataclass
class Cell:
    target: str
    workload: str
    concurrency: int
    seconds: float
    load: LoadResult
    server: str = ""
    cpu_ms_per_req: float | None = None
    idle_rss_mb: float | None = None
    peak_rss_mb: float | None = None
    vmhwm_mb: float | None = None
    server_cpu_pct: float | None = None  # measured process tree, % of one core
    core_busy_pct: dict[int, float] = field(default_factory=dict)  # whole cores, from /proc/stat
    foreign_core0_pct: float | None = None  # core 0 busy with anything but the gateway
    busy_before_pct: float | None = None  # machine busy % in the last second before the cell
    quiet_waited_s: float = 0.0
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        out = {k: v for k, v in self.__dict__.items() if k != "load"}
        out["load"] = self.load.as_dict()
        return out


@dataclass
class TargetRun:
    """A running target for one upstream variant, plus what was measured when it was idle."""

    target: str
    variant: str
    base_url: str
    server: Server | None  # the process whose CPU/RSS is charged (nginx for direct)
    idle_rss_mb: float = 0.0
    restarts: int = 0
    notes: list[str] = field(default_factory=list)


def target_url(run: TargetRun, wl: Workload) -> str:
    return f"{run.base_url}/v1/images/{wl.endpoint}"


def edit_fields(wl: Workload) -> dict[str, str]:
    return {
        "model": "gpt-image-1",
        "prompt": PROMPT,
        "size": "1024x1024",
        "response_format": wl.response_format,
    }


def prepared_multipart(wl: Workload, settings: Settings) -> tuple[Path, str]:
    """The edit request body, encoded once into a file for wrk (fixed boundary, reused across cells)."""
    path = settings.data_dir / "uploads" / f"{wl.name}.multipart"
    boundary = "imagegatebench" + wl.name.replace("-", "")
    if not path.exists():
        image = (settings.data_dir / "uploads" / wl.upload).read_bytes()
        body, _ = multipart_body(edit_fields(wl), image, wl.images, boundary)
        path.write_bytes(body)
    return path, f"multipart/form-data; boundary={boundary}"


def drive(run: TargetRun, wl: Workload, settings: Settings, concurrency: int, seconds: float) -> LoadResult:
    url = target_url(run, wl)
    if wl.kind == "wrk":
        body = {
            "model": "gpt-image-1",
            "prompt": PROMPT,
            "size": "1024x1024",
            "response_format": wl.response_format,
        }
        return run_wrk(url, body, MASTER_KEY, concurrency, seconds)
    if wl.kind == "wrk-edit":
        return run_wrk(url, prepared_multipart(wl, settings), MASTER_KEY, concurrency, seconds)
    image = settings.data_dir / "uploads" / wl.upload
    if wl.memory_only:
        requests = settings.memory_requests
        return run_edit_client(url, MASTER_KEY, image, wl.images, concurrency, seconds, requests, timeout=300)
    return run_edit_client(url, MASTER_KEY, image, wl.images, concurrency, seconds)


@contextmanager
def sampled(server: Server | None) -> Iterator[Sampler | None]:
    if server is None:
        yield None
        return
    with Sampler(server.pid) as sampler:
        yield sampler


def wait_quiet(settings: Settings) -> tuple[float, float]:
    """Wait (bounded) until other work on the machine calms down; returns (waited s, last busy %)."""
    started = time.monotonic()
    busy = machine_busy_pct(1.0)
    while busy > settings.quiet_busy_pct and time.monotonic() - started < settings.quiet_wait_s:
        busy = machine_busy_pct(1.0)
    return round(time.monotonic() - started, 1), busy


def record_usage(cell: Cell, run: TargetRun, sampler: Sampler) -> None:
    assert run.server is not None
    cell.peak_rss_mb = round(sampler.peak_rss_mb, 1)
    cell.vmhwm_mb = round(hwm_mb(process_tree(run.server.pid)), 1)
    if cell.load.requests:
        cell.cpu_ms_per_req = round(sampler.cpu_used * 1000 / cell.load.requests, 3)
    cell.server_cpu_pct = sampler.cpu_pct
    cell.core_busy_pct = sampler.core_busy
    own = sampler.cpu_pct if run.target != "direct" else 0.0  # direct: nginx lives on core 1
    cell.foreign_core0_pct = round(max(0.0, sampler.core_busy.get(GATEWAY_CORE, 0.0) - own), 1)
    if not run.server.alive():
        cell.note = f"{run.server.name} exited during the cell"


def run_cell(run: TargetRun, wl: Workload, settings: Settings, concurrency: int) -> Cell:
    """Wait for a quiet machine, warm up briefly, then measure one (target, workload, concurrency) cell."""
    seconds = 600.0 if wl.memory_only else settings.seconds
    waited, busy = wait_quiet(settings)
    if settings.warmup_seconds > 0 and not wl.memory_only:
        drive(run, wl, settings, concurrency, settings.warmup_seconds)
    with sampled(run.server) as sampler:
        load = drive(run, wl, settings, concurrency, seconds)
    measured = load.duration_s if wl.memory_only else seconds
    cell = Cell(
        run.target,
        wl.name,
        concurrency,
        measured,
        load,
        server=run.server.name if run.server else "",
        idle_rss_mb=round(run.idle_rss_mb, 1),
        busy_before_pct=busy,
        quiet_waited_s=waited,
    )
    if sampler is not None:
        record_usage(cell, run, sampler)
    return cell


def idle_rss(server: Server, settle: float = 1.0) -> float:
    time.sleep(settle)
    return rss_mb(process_tree(server.pid))


StartFn = Callable[[str], TargetRun]


def describe(cell: Cell, took: float) -> str:
    return (
        f"  {cell.target:9} {cell.workload:14} c={cell.concurrency:<3} rps={cell.load.rps:<9} "
        f"p50={cell.load.p50_ms:.2f}ms p99={cell.load.p99_ms:.2f}ms "
        f"cpu={cell.server_cpu_pct}% core0-foreign={cell.foreign_core0_pct}% "
        f"err={cell.load.errors or '-'} (waited {cell.quiet_waited_s}s, {took:.0f}s)"
    )


def noisy(cell: Cell, settings: Settings) -> bool:
    """A gateway cell during which other work took a real share of the gateway's core."""
    return cell.target != "direct" and (cell.foreign_core0_pct or 0.0) > settings.noise_retry_pct


def measure(run: TargetRun, wl: Workload, settings: Settings, conc: int, log: Callable[[str], None]) -> Cell:
    """One cell; rerun (at most `settings.noise_retries` times) while core 0 was disturbed."""
    t0 = time.monotonic()
    cell = run_cell(run, wl, settings, conc)
    log(describe(cell, time.monotonic() - t0))
    for attempt in range(settings.noise_retries):
        if wl.memory_only or not noisy(cell, settings) or run.server is None or not run.server.alive():
            break
        t0 = time.monotonic()
        again = run_cell(run, wl, settings, conc)
        log(describe(again, time.monotonic() - t0) + f" [rerun {attempt + 1}: core 0 was disturbed]")
        if (again.foreign_core0_pct or 0.0) < (cell.foreign_core0_pct or 0.0):
            cell = again
        cell.note = (cell.note + "; " if cell.note else "") + f"rerun {attempt + 1}x for noise"
    return cell


def run_target_variant(
    start: StartFn, variant: str, workloads: list[Workload], settings: Settings, log: Callable[[str], None]
) -> list[Cell]:
    """Start the target for `variant`, run its cells (restarting it at most twice), stop it."""
    cells: list[Cell] = []
    run = start(variant)
    try:
        for wl in workloads:
            for conc in (1,) if wl.memory_only else settings.concurrencies:
                if run.server is not None and not run.server.alive():
                    if run.restarts >= 2:
                        cells.append(
                            Cell(run.target, wl.name, conc, 0, failed("server down"), note="server down")
                        )
                        continue
                    run.server.stop()
                    restarted = start(variant)
                    run.server, run.restarts = restarted.server, run.restarts + 1
                cells.append(measure(run, wl, settings, conc, log))
    finally:
        if run.server is not None and run.target != "direct":
            run.server.stop()
    return cells
