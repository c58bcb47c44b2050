"""Many slow generations in flight: N image requests held open at once against a fake upstream that answers
after `--delay` seconds, through imagegate and through litellm, side by side.

Scenarios: `gens` (2,000 concurrent generations) and `edits` (500 concurrent ~1 MB multipart edits). For each
target and scenario: a fresh slow fake upstream and a fresh gateway (core 0), a warm-up with no delay, then
the burst from one client process while a probe process times the gateway's liveness path every 50 ms and
the gateway's RSS is sampled every 50 ms.

Usage (from the repository root):
  .venv/bin/python bench/inflight.py [--targets imagegate,litellm] [--scenarios gens,edits]
                                     [--gens 2000] [--edits 500] [--delay 20] [--results-dir bench]

Writes <results-dir>/inflight.json and <results-dir>/INFLIGHT.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from harness import servers
from harness.inflight_report import render
from harness.nofile import raise_nofile
from harness.procs import Sampler, Server, free_port, process_tree, rss_mb, spawn, wait_http_ok

BENCH_DIR = Path(__file__).resolve().parent
TARGETS = {"imagegate": "/healthz", "litellm": "/health/liveliness"}
SCENARIOS = ("gens", "edits")
# Given to imagegate on top of the bench's usual OPENAI_* / IMAGEGATE_MASTER_KEY / IMAGEGATE_DATA_DIR. The
# defaults already let 2,000 requests through (the master key has no rpm, an env channel has no
# max_concurrency and an unlimited connection pool, bodies up to 420 MB); these only state the time limits.
IMAGEGATE_ENV = {"IMAGEGATE_UPSTREAM_TIMEOUT": "600", "IMAGEGATE_DEADLINE": "600"}
WARMUP_REQUESTS = 8


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", flush=True)


def module_argv(module: str, *args: object) -> list[str]:
    return [sys.executable, "-m", f"harness.{module}", *(str(a) for a in args)]


def fresh_log(work: servers.Workdirs, name: str) -> Path:
    path = work.logs / f"{name}.log"
    path.unlink(missing_ok=True)
    return path


def start_upstream(work: servers.Workdirs) -> Server:
    """The slow fake (harness/slow_upstream.py) on the load core, delay 0 until `set_delay`."""
    port = free_port()
    body = work.data / "bodies" / "small" / "v1" / "images" / "generations"
    argv = module_argv("slow_upstream", "--port", port, "--body", body, "--delay", 0)
    server = spawn("slow-upstream", argv, core=servers.LOAD_CORE, env=os.environ,
                   log_path=fresh_log(work, "slow-upstream"), port=port, cwd=BENCH_DIR)
    if not wait_http_ok(server, f"http://127.0.0.1:{port}/healthz", timeout=20):
        server.stop()
        raise RuntimeError(f"slow upstream did not start:\n{server.log_tail()}")
    return server


def upstream_call(upstream: Server, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{upstream.port}{path}", timeout=10) as resp:
        return dict(json.load(resp))


def start_imagegate(work: servers.Workdirs, upstream_port: int) -> Server:
    """`imagegate serve` on the gateway core, like servers.start_imagegate, plus IMAGEGATE_ENV."""
    port = free_port()
    data_dir = work.root / "imagegate-data-inflight"
    subprocess.run(["rm", "-rf", str(data_dir)], check=True, timeout=60)
    data_dir.mkdir(parents=True)
    env = {**os.environ, **IMAGEGATE_ENV, "OPENAI_API_KEY": servers.UPSTREAM_KEY,
           "OPENAI_BASE_URL": f"http://127.0.0.1:{upstream_port}/slow/v1",
           "IMAGEGATE_MASTER_KEY": servers.MASTER_KEY, "IMAGEGATE_DATA_DIR": str(data_dir)}
    fresh_log(work, "imagegate-inflight")
    argv = [*servers.imagegate_argv(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return servers.start_gateway_process("imagegate-inflight", argv, env, work, port, "/healthz", 60)


def start_gateway(target: str, work: servers.Workdirs, upstream_port: int, litellm: Path | None) -> Server:
    if target == "imagegate":
        server = start_imagegate(work, upstream_port)
    elif litellm is None:
        raise RuntimeError("litellm is not installed")
    else:
        fresh_log(work, "litellm-slow")
        server = servers.start_litellm(litellm, work, upstream_port, "slow")
    return server


def nofile_of(pid: int) -> str:
    """The soft open-file limit of `pid` (it inherits the harness's, raised to the hard limit in main)."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return line.split()[3]
    return "?"


def timeline(client: dict[str, Any], upstream: dict[str, Any]) -> dict[str, float | None]:
    """When the upstream saw the first and the last request and sent its last answer, in seconds after the
    client's first send (same machine, same clock)."""
    t0 = client["t0_epoch"]
    return {k: round(upstream[k] - t0, 3) if upstream.get(k) else None
            for k in ("first_received", "last_received", "last_answered")}


def worst_probes(client: dict[str, Any], lag: dict[str, Any]) -> list[tuple[float, float]]:
    """The longest probes as (seconds after the client's first send, ms)."""
    return [(round(w["sent_at"] - client["t0_epoch"], 2), w["ms"]) for w in lag.get("worst", [])]


def run_client(gateway: Server, kind: str, n: int, work: servers.Workdirs, timeout: float) -> dict[str, Any]:
    """One burst_client process on the load core; its JSON summary."""
    argv = module_argv("burst_client", "--base", f"http://127.0.0.1:{gateway.port}", "--key", servers.MASTER_KEY,
                       "--kind", kind, "--n", n, "--image", work.data / "uploads" / "image_1mb.png",
                       "--timeout", timeout)
    out = subprocess.run(["taskset", "-c", str(servers.LOAD_CORE), *argv], cwd=BENCH_DIR, capture_output=True,
                         text=True, timeout=timeout + 120, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return dict(json.loads(line[len("BENCH_JSON "):]))
    raise RuntimeError(f"burst client failed (rc {out.returncode}):\n{out.stderr[-3000:]}")


def wait_for_line(server: Server, prefix: str, timeout: float) -> dict[str, Any]:
    """Poll a spawned process's log for the first line starting with `prefix`; its JSON."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in server.log_tail(1_000_000).splitlines():
            if line.startswith(prefix):
                return dict(json.loads(line[len(prefix):]))
        if not server.alive() and time.monotonic() + 1 < deadline:
            deadline = time.monotonic() + 1  # one more look at the log after it exits
        time.sleep(0.1)
    raise RuntimeError(f"no {prefix.strip()} line from {server.name}:\n{server.log_tail()}")


def start_probe(target: str, gateway: Server, work: servers.Workdirs) -> Server:
    url = f"http://127.0.0.1:{gateway.port}{TARGETS[target]}"
    probe = spawn("lag-probe", module_argv("lag_probe", "--url", url, "--interval", 0.05, "--idle", 3),
                  core=servers.LOAD_CORE, env=os.environ, log_path=fresh_log(work, "lag-probe"), port=0,
                  cwd=BENCH_DIR)
    return probe


def measure_burst(target: str, scenario: str, n: int, gateway: Server, upstream: Server,
                  work: servers.Workdirs, delay: float) -> dict[str, Any]:
    """Warm up (no delay), then the burst of `n` with the probe and the RSS sampler running."""
    run_client(gateway, scenario, WARMUP_REQUESTS, work, timeout=120)
    upstream_call(upstream, f"/control?delay={delay}")
    probe = start_probe(target, gateway, work)
    try:
        idle_lag = wait_for_line(probe, "IDLE ", timeout=30)
        rss_idle = rss_mb(process_tree(gateway.pid))
        nofile = nofile_of(gateway.pid)
        with Sampler(gateway.pid, interval=0.05) as sampler:
            client = run_client(gateway, scenario, n, work, timeout=max(300.0, 3 * delay + 60))
        rss_after = rss_mb(process_tree(gateway.pid))
    finally:
        probe.stop(grace=10)
    lag = wait_for_line(probe, "BENCH_JSON ", timeout=5)
    return {"client": client, "lag": lag, "lag_idle": idle_lag, "rss_idle_mb": rss_idle, "rss_after_mb": rss_after,
            "rss_peak_mb": sampler.peak_rss_mb, "gateway_cpu_s": sampler.cpu_used, "core_busy": sampler.core_busy,
            "upstream": upstream_call(upstream, "/stats"), "nofile": nofile}


def row_from(target: str, scenario: str, n: int, delay: float, m: dict[str, Any]) -> dict[str, Any]:
    client = m["client"]
    wall = client["wall_s"] if client["ok"] else None
    growth = m["rss_peak_mb"] - m["rss_idle_mb"]
    in_flight = n * client["request_bytes"] if scenario == "edits" else 0
    return {
        "target": target, "scenario": scenario, "n": n, "delay_s": delay,
        "ok": client["ok"], "errors": client["errors"], "errors_total": n - client["ok"],
        "error_samples": client["error_samples"], "wall_s": wall,
        "serve_ratio": round(wall / delay, 4) if wall and delay else None,
        "all_connected_s": client["all_connected_s"], "latency_ms": client["latency_ms"],
        "lag_ms": m["lag"]["ms"], "lag_probes": m["lag"]["probes"], "lag_errors": m["lag"]["errors"],
        "lag_idle_ms": m["lag_idle"]["ms"], "lag_worst_at_s_ms": worst_probes(client, m["lag"]),
        "rss_idle_mb": round(m["rss_idle_mb"], 1), "rss_peak_mb": round(m["rss_peak_mb"], 1),
        "rss_after_mb": round(m["rss_after_mb"], 1), "rss_growth_mb": round(growth, 1),
        "request_bytes": client["request_bytes"], "bytes_in_flight": in_flight,
        "growth_per_byte_in_flight": round(growth * 1024 * 1024 / in_flight, 3) if in_flight else None,
        "gateway_cpu_s": round(m["gateway_cpu_s"], 2), "core_busy_pct": m["core_busy"], "upstream": m["upstream"],
        "upstream_timeline_s": timeline(client, m["upstream"]), "gateway_nofile": m["nofile"],
    }


def run_scenario(target: str, scenario: str, n: int, args: argparse.Namespace, work: servers.Workdirs,
                 litellm: Path | None) -> dict[str, Any]:
    """Fresh fake upstream and gateway, one burst, everything stopped after."""
    log(f"{target} {scenario}: {n} requests, delay {args.delay:g} s")
    upstream = start_upstream(work)
    gateway: Server | None = None
    try:
        gateway = start_gateway(target, work, upstream.port, litellm)
        measured = measure_burst(target, scenario, n, gateway, upstream, work, args.delay)
        row = row_from(target, scenario, n, args.delay, measured)
        if not gateway.alive():
            row["gateway_exited"] = gateway.log_tail()
    except (RuntimeError, OSError, subprocess.SubprocessError, KeyError, ValueError) as exc:
        log(f"{target} {scenario} failed: {exc}")
        row = {"target": target, "scenario": scenario, "n": n, "failed": str(exc)[:500]}
    finally:
        if gateway is not None:
            gateway.stop()
        upstream.stop()
    log(f"{target} {scenario}: " + json.dumps({k: row.get(k) for k in ("ok", "errors", "wall_s", "lag_ms",
                                                                       "rss_growth_mb", "failed")}))
    return row


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--targets", default=",".join(TARGETS), help="comma list: imagegate,litellm")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma list: gens,edits")
    p.add_argument("--gens", type=int, default=2000, help="concurrent generations")
    p.add_argument("--edits", type=int, default=500, help="concurrent 1 MB edits")
    p.add_argument("--delay", type=float, default=20.0, help="seconds the fake upstream takes per image")
    p.add_argument("--results-dir", type=Path, default=BENCH_DIR, help="where inflight.json/INFLIGHT.md go")
    p.add_argument("--workdir", type=Path, default=BENCH_DIR / ".work", help="transient files (gitignored)")
    args = p.parse_args(argv)
    for given, known in ((args.targets, TARGETS), (args.scenarios, SCENARIOS)):
        if set(given.split(",")) - set(known):
            p.error(f"unknown: {sorted(set(given.split(',')) - set(known))}")
    return args


def meta(args: argparse.Namespace, work: servers.Workdirs, argv: list[str]) -> dict[str, Any]:
    return {"command": shlex.join(["python", "bench/inflight.py", *argv]),
            "started": f"{dt.datetime.now():%Y-%m-%d %H:%M}", "machine": f"{os.cpu_count()} cores, "
            f"{platform.python_implementation()} {platform.python_version()}",
            "delay": args.delay, "n": {"gens": args.gens, "edits": args.edits}, "imagegate_env": IMAGEGATE_ENV,
            "litellm_version": servers.litellm_version(work), "nofile": raise_nofile(),
            "gateway_core": servers.GATEWAY_CORE, "load_core": servers.LOAD_CORE,
            "somaxconn": Path("/proc/sys/net/core/somaxconn").read_text().strip()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    os.sched_setaffinity(0, {servers.LOAD_CORE})
    raise_nofile()  # every process started from here inherits it, the gateways included
    work = servers.Workdirs(args.workdir.resolve())
    work.logs.mkdir(parents=True, exist_ok=True)
    servers.make_data(work)
    litellm = None
    if "litellm" in args.targets.split(","):
        litellm, note = servers.ensure_litellm(work)
        log(f"litellm: {note}")
    results: dict[str, Any] = {"meta": meta(args, work, argv), "runs": []}
    for scenario in args.scenarios.split(","):
        n = args.gens if scenario == "gens" else args.edits
        for target in args.targets.split(","):
            results["runs"].append(run_scenario(target, scenario, n, args, work, litellm))
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "inflight.json").write_text(json.dumps(results, indent=1) + "\n")
    table = render(results)
    (args.results_dir / "INFLIGHT.md").write_text(table)
    print(table)
    return 0 if all("failed" not in r and not r["errors_total"] for r in results["runs"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
