"""imagegate overhead benchmark: direct (nginx fake upstream) vs imagegate vs litellm proxy.

Usage:
  /work/venv/bin/python bench/run.py [--quick] [--seconds 20] [--only direct,imagegate,litellm]

Writes bench/RESULTS.md and bench/results.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness import report, servers
from harness.matrix import (
    TARGETS,
    WORKLOADS,
    Cell,
    Settings,
    StartFn,
    TargetRun,
    Workload,
    idle_rss,
    run_target_variant,
)
from harness.procs import Server

BENCH_DIR = Path(__file__).resolve().parent


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="3 s cells, concurrency 1 and 16, one memory request")
    p.add_argument("--seconds", type=float, default=None, help="measured seconds per cell (default 20)")
    p.add_argument(
        "--only", default=",".join(TARGETS), help="comma list of targets: direct,imagegate,litellm"
    )
    p.add_argument("--workloads", default=",".join(w.name for w in WORKLOADS), help="comma list of workloads")
    p.add_argument("--concurrency", default=None, help="comma list (default 1,16,64; quick 1,16)")
    p.add_argument("--quiet-wait", type=float, default=10.0, help="max seconds to wait for a quiet machine")
    p.add_argument(
        "--noise-retries", type=int, default=1, help="reruns of a gateway cell disturbed by others"
    )
    p.add_argument("--render-only", type=Path, default=None, help="rewrite RESULTS.md from this results.json")
    p.add_argument("--workdir", type=Path, default=BENCH_DIR / ".work", help="transient files (gitignored)")
    p.add_argument("--results-dir", type=Path, default=BENCH_DIR, help="where RESULTS.md/results.json go")
    args = p.parse_args(argv)
    unknown = set(args.only.split(",")) - set(TARGETS)
    if unknown:
        p.error(f"unknown targets: {sorted(unknown)}")
    return args


def settings_from(args: argparse.Namespace, data_dir: Path) -> Settings:
    seconds = args.seconds if args.seconds is not None else (3.0 if args.quick else 20.0)
    conc = args.concurrency or ("1,16" if args.quick else "1,16,64")
    return Settings(
        seconds=seconds,
        concurrencies=tuple(int(c) for c in conc.split(",")),
        warmup_seconds=1.0,
        quiet_wait_s=args.quiet_wait,
        noise_retries=args.noise_retries,
        memory_requests=1 if args.quick else 3,
        data_dir=data_dir,
    )


def tool_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return "unavailable"
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def imagegate_status() -> tuple[bool, str]:
    """Whether the gateway is importable in this interpreter, and its version."""
    code = "import importlib.metadata as m, imagegate.app; print(m.version('imagegate'))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    if out.returncode != 0:
        return False, "not importable: " + (out.stderr.strip().splitlines() or ["?"])[-1]
    return True, out.stdout.strip()


def source_revision() -> str:
    """The repo's commit (read-only git queries) and whether the work tree had local changes."""
    git = ["git", "-C", str(BENCH_DIR.parent)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True, check=False
    )
    rev = head.stdout.strip() if head.returncode == 0 else "no commit"
    return f"{rev}{' + uncommitted changes in src/' if dirty.stdout.strip() else ''}"


def machine() -> str:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {mem:.0f} GiB RAM, {platform.platform()}"


def starter(target: str, work: servers.Workdirs, nginx: Server, litellm_exe: Path | None) -> StartFn:
    """A function variant -> TargetRun for `target`."""

    def start(variant: str) -> TargetRun:
        if target == "direct":
            return TargetRun(
                target,
                variant,
                f"http://127.0.0.1:{nginx.port}/{variant}",
                nginx,
                idle_rss_mb=idle_rss(nginx, settle=0),
            )
        if target == "imagegate":
            srv = servers.start_imagegate(work, nginx.port, variant)
        else:
            assert litellm_exe is not None
            srv = servers.start_litellm(litellm_exe, work, nginx.port, variant)
        return TargetRun(target, variant, f"http://127.0.0.1:{srv.port}", srv, idle_rss_mb=idle_rss(srv))

    return start


def run_target(
    target: str, start: StartFn, workloads: list[Workload], settings: Settings
) -> tuple[list[Cell], str]:
    cells: list[Cell] = []
    mine = [w for w in workloads if target in w.targets]
    for variant in ("small", "large"):
        group = [w for w in mine if w.variant == variant]
        if not group:
            continue
        log(f"{target} / upstream {variant}: {', '.join(w.name for w in group)}")
        try:
            cells += run_target_variant(start, variant, group, settings, log)
        except RuntimeError as exc:
            msg = str(exc).strip().splitlines()[0]
            log(f"{target} could not run ({variant}): {exc}")
            return cells, f"could not start ({variant} upstream): {msg} (log in bench/.work/logs/)"
    return cells, "ok"


def prepare_targets(
    targets: list[str], work: servers.Workdirs, versions: dict[str, str], notes: dict[str, str]
) -> tuple[list[str], Path | None]:
    """Check imagegate / install litellm; drop targets that cannot run (with a note)."""
    runnable, litellm_exe = [], None
    for target in targets:
        if target == "imagegate":
            ok, info = imagegate_status()
            versions["imagegate"] = info if ok else "unavailable"
            if not ok:
                notes[target] = f"not run: imagegate {info}"
                continue
        if target == "litellm":
            log("ensuring the litellm venv (pip install 'litellm[proxy]' on first use)")
            litellm_exe, why = servers.ensure_litellm(work)
            versions["litellm"] = servers.litellm_version(work)
            if litellm_exe is None:
                notes[target] = f"not run: {why}"
                continue
        runnable.append(target)
    return runnable, litellm_exe


def render_only(json_path: Path, results_dir: Path) -> int:
    meta, cells = report.load(json_path)
    md, _ = report.write(results_dir, meta, cells)
    log(f"rewrote {md} from {json_path}")
    return 0


def main() -> int:
    args = parse_args()
    if args.render_only is not None:
        return render_only(args.render_only, args.results_dir)
    os.sched_setaffinity(0, {servers.LOAD_CORE})  # the harness shares the load core, never the gateway's
    work = servers.Workdirs(args.workdir.resolve())
    work.logs.mkdir(parents=True, exist_ok=True)
    settings = settings_from(args, work.data)
    workloads = [w for w in WORKLOADS if w.name in args.workloads.split(",")]
    nginx_bin, wrk_bin = servers.ensure_apt("nginx", "nginx"), servers.ensure_apt("wrk", "wrk")
    if nginx_bin is None or wrk_bin is None:
        log("nginx and wrk are required (apt-get install nginx wrk)")
        return 1
    log("generating fake upstream bodies and upload images")
    servers.make_data(work)
    versions = {
        "python": platform.python_version(),
        "nginx": tool_version([nginx_bin, "-v"]).split("/")[-1],
        "wrk": tool_version([wrk_bin, "-v"]).split(" [")[0].removeprefix("wrk "),
    }
    notes: dict[str, str] = {}
    targets, litellm_exe = prepare_targets(args.only.split(","), work, versions, notes)
    started = time.monotonic()
    cells: list[Cell] = []
    nginx = servers.start_nginx(nginx_bin, work)
    try:
        for target in targets:
            got, status = run_target(target, starter(target, work, nginx, litellm_exe), workloads, settings)
            cells += got
            if status != "ok":
                notes[target] = status
    finally:
        nginx.stop()
        for leftover in work.root.glob("imagegate-data-*"):  # images stored by response_format=url
            shutil.rmtree(leftover, ignore_errors=True)
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([Path(sys.executable).as_posix(), "bench/run.py", *sys.argv[1:]]),
        "machine": machine(),
        "source": source_revision(),
        "versions": versions,
        "target_notes": notes,
        "seconds": settings.seconds,
        "warmup_seconds": settings.warmup_seconds,
        "concurrencies": list(settings.concurrencies),
        "quiet_wait_s": settings.quiet_wait_s,
        "quiet_busy_pct": settings.quiet_busy_pct,
        "noise_retries": settings.noise_retries,
        "noise_retry_pct": settings.noise_retry_pct,
        "memory_requests": settings.memory_requests,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    md, js = report.write(args.results_dir, meta, cells)
    log(f"wrote {md} and {js} ({meta['elapsed_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
