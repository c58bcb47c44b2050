"""Two imagegate builds side by side: the figures behind a before/after table.

On a shared machine the same cell varies by 10-30 % from minute to minute, so two builds measured
one after the other can't be compared. Here both run at once, each a separate ``imagegate serve`` on
core 0 (the one not loaded sits idle), against the same nginx fake upstream, and their cells alternate
(A, B, then B, A, ...) for a number of rounds; the table gives each side's median. Only their ratio
means much; the absolute figures follow the machine.

    python -m bench.ab --a /path/to/old/venv/bin/imagegate --b /path/to/new/venv/bin/imagegate \\
        [--variant small|large] [--cells gen1,gen16,edit1,edit16,url1,url16] [--rounds 3] [--seconds 4]

A build is an ``imagegate`` executable, e.g. of a ``git worktree`` of the old commit with its own venv
(``python -m venv .venv && .venv/bin/pip install -e .``). Cells: ``gen`` is a JSON generation (b64_json),
``url`` the same with ``response_format=url``, ``edit`` the 1 MB multipart edit of ``edit-1mb-wrk``; the
number is wrk's connection count. Extra environment for one side: ``--a-env K=V`` / ``--b-env K=V``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from .harness.loadgen import run_wrk
from .harness.matrix import PROMPT, WORKLOADS, Settings, prepared_multipart
from .harness.procs import Server, cpu_seconds, free_port
from .harness.servers import (
    BENCH_DIR,
    MASTER_KEY,
    UPSTREAM_KEY,
    Workdirs,
    ensure_apt,
    make_data,
    start_gateway_process,
    start_nginx,
)


@dataclass
class Side:
    name: str
    server: Server
    cells: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)  # rps, p50 ms, CPU ms


def start(name: str, exe: str, work: Workdirs, upstream: int, variant: str, extra: dict[str, str]) -> Server:
    port, data = free_port(), work.root / f"ab-{name}-{variant}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {**os.environ, "OPENAI_API_KEY": UPSTREAM_KEY, "OPENAI_BASE_URL": f"http://127.0.0.1:{upstream}/{variant}/v1",
           "IMAGEGATE_MASTER_KEY": MASTER_KEY, "IMAGEGATE_DATA_DIR": str(data), **extra}
    return start_gateway_process(f"ab-{name}", [exe, "serve", "--host", "127.0.0.1", "--port", str(port)], env, work,
                                 port, "/healthz", 60)


def cell(side: Side, name: str, seconds: int, settings: Settings) -> tuple[float, float, float]:
    kind, connections = name.rstrip("0123456789"), int(name[len(name.rstrip("0123456789")):])
    base = f"http://127.0.0.1:{side.server.port}/v1/images/"
    before = cpu_seconds([side.server.pid])
    if kind == "edit":
        edit = next(w for w in WORKLOADS if w.name == "edit-1mb-wrk")
        result = run_wrk(base + "edits", prepared_multipart(edit, settings), MASTER_KEY, connections, seconds)
    else:
        body = {"model": "gpt-image-1", "prompt": PROMPT, "size": "1024x1024",
                "response_format": "url" if kind == "url" else "b64_json"}
        result = run_wrk(base + "generations", body, MASTER_KEY, connections, seconds)
    cpu_ms = (cpu_seconds([side.server.pid]) - before) * 1000 / max(result.requests, 1)
    if result.ok != result.requests:
        raise SystemExit(f"{side.name} {name}: {result.requests - result.ok} failed requests: {result.errors}")
    return result.rps, result.p50_ms, cpu_ms


def env_pairs(pairs: list[str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


def report(sides: list[Side], cells: list[str]) -> str:
    lines = ["| cell | A req/s | A p50 ms | A CPU ms/req | B req/s | B p50 ms | B CPU ms/req | B/A req/s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in cells:
        medians = [[statistics.median(run[i] for run in side.cells[name]) for i in range(3)] for side in sides]
        (a_rps, a_p50, a_cpu), (b_rps, b_p50, b_cpu) = medians
        lines.append(f"| {name} | {a_rps:.0f} | {a_p50:.2f} | {a_cpu:.2f} | {b_rps:.0f} | {b_p50:.2f} | {b_cpu:.2f} "
                     f"| {b_rps / a_rps:.2f}× |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="the old build's imagegate executable")
    parser.add_argument("--b", required=True, help="the new build's imagegate executable")
    parser.add_argument("--variant", default="small", choices=("small", "large"))
    parser.add_argument("--cells", default="gen1,gen16,edit1,edit16")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--a-env", action="append", default=[])
    parser.add_argument("--b-env", action="append", default=[])
    parser.add_argument("--workdir", type=Path, default=BENCH_DIR / ".work")
    args = parser.parse_args()
    work = Workdirs(args.workdir)
    work.logs.mkdir(parents=True, exist_ok=True)
    make_data(work)
    nginx = start_nginx(ensure_apt("nginx", "nginx") or "nginx", work)
    settings = Settings(seconds=args.seconds, concurrencies=(), warmup_seconds=1, memory_requests=0,
                        data_dir=work.data)
    sides: list[Side] = []
    cells = args.cells.split(",")
    try:
        for name, exe, extra in (("A", args.a, args.a_env), ("B", args.b, args.b_env)):
            sides.append(Side(name, start(name, exe, work, nginx.port, args.variant, env_pairs(extra))))
        for name in cells:
            for side in sides:
                cell(side, name, 1, settings)  # warm-up
        for round_ in range(args.rounds):
            for name in cells:
                for side in sides if round_ % 2 == 0 else reversed(sides):
                    side.cells.setdefault(name, []).append(cell(side, name, args.seconds, settings))
    finally:
        for side in sides:
            side.server.stop()
        nginx.stop()
    print(report(sides, cells))


if __name__ == "__main__":
    main()
