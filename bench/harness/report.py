"""Write bench/RESULTS.md (Markdown tables) and bench/results.json (raw) from the measured cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .loadgen import LoadResult
from .matrix import TARGETS, WORKLOADS, Cell

BASELINE_OF = {"gen-large-url": "gen-large"}  # url output is compared with direct b64_json
WORKLOAD_ORDER = {w.name: i for i, w in enumerate(WORKLOADS)}
TARGET_ORDER = {t: i for i, t in enumerate(TARGETS)}


def fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def fmt_errors(cell: Cell) -> str:
    errs = cell.load.errors
    text = ", ".join(f"{k}:{v}" for k, v in sorted(errs.items())) if errs else "0"
    if cell.load.requests == 0:
        text = "no requests" if text == "0" else text
    return f"{text}; {cell.note}" if cell.note else text


def added_latency(cell: Cell, direct: dict[tuple[str, int], Cell]) -> str:
    if cell.target == "direct":
        return "(baseline)"
    base = direct.get((BASELINE_OF.get(cell.workload, cell.workload), cell.concurrency))
    if base is None or base.load.ok == 0 or cell.load.ok == 0:
        return "–"
    return (
        f"+{cell.load.p50_ms - base.load.p50_ms:.2f} / +{cell.load.p99_ms - base.load.p99_ms:.2f}"
    ).replace("+-", "−")


def sort_key(cell: Cell) -> tuple[int, int, int]:
    """Workloads in matrix order, then concurrency, then direct / imagegate / litellm."""
    return (WORKLOAD_ORDER.get(cell.workload, 99), cell.concurrency, TARGET_ORDER.get(cell.target, 9))


def summary_table(cells: list[Cell]) -> list[str]:
    """Per workload and gateway: c=1 overhead, CPU per request, and the best throughput seen."""
    direct = {(c.workload, c.concurrency): c for c in cells if c.target == "direct"}
    lines = [
        "| workload | target | added p50 at c=1 (ms) | CPU ms/req at c=1 | best req/s (at conc) "
        "| direct best req/s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    groups: dict[tuple[str, str], list[Cell]] = {}
    for c in cells:
        if c.target != "direct" and c.workload != "edit-16x25mb":
            groups.setdefault((c.workload, c.target), []).append(c)
    for (workload, target), group in sorted(groups.items(), key=lambda kv: sort_key(kv[1][0])):
        one = next((c for c in group if c.concurrency == 1), None)
        best = max(group, key=lambda c: c.load.rps)
        base = [d for (w, _), d in direct.items() if w == BASELINE_OF.get(workload, workload)]
        base_best = max((d.load.rps for d in base), default=None)
        added = added_latency(one, direct).split(" / ")[0] if one else "–"
        lines.append(
            f"| {workload} | {target} | {added} | {fmt(one.cpu_ms_per_req if one else None)} "
            f"| {fmt(best.load.rps, 1)} ({best.concurrency}) | {fmt(base_best, 1)} |"
        )
    return lines


def throughput_table(cells: list[Cell]) -> list[str]:
    direct = {(c.workload, c.concurrency): c for c in cells if c.target == "direct"}
    lines = [
        "| workload | conc | target | req/s | p50 ms | p95 ms | p99 ms | added p50 / p99 vs direct (ms) "
        "| CPU ms/req | CPU % | idle RSS MB | peak RSS MB | core-0 foreign % | errors |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = sorted((c for c in cells if c.workload != "edit-16x25mb"), key=sort_key)
    for c in rows:
        ld = c.load
        lines.append(
            f"| {c.workload} | {c.concurrency} | {c.target} | {fmt(ld.rps, 1)} "
            f"| {fmt(ld.p50_ms)} | {fmt(ld.p95_ms)} | {fmt(ld.p99_ms)} | {added_latency(c, direct)} "
            f"| {fmt(c.cpu_ms_per_req)} | {fmt(c.server_cpu_pct, 0)} "
            f"| {fmt(c.idle_rss_mb, 1)} | {fmt(c.peak_rss_mb, 1)} | {fmt(c.foreign_core0_pct, 0)} "
            f"| {fmt_errors(c)} |"
        )
    return lines


def memory_table(cells: list[Cell]) -> list[str]:
    mem = [c for c in cells if c.workload == "edit-16x25mb"]
    if not mem:
        return ["(not run)"]
    lines = [
        "| target | requests ok / sent | p50 s | idle RSS MB | peak RSS MB (polled) | VmHWM MB | errors |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in mem:
        lines.append(
            f"| {c.target} | {c.load.ok} / {c.load.requests} | {fmt(c.load.p50_ms / 1000)} "
            f"| {fmt(c.idle_rss_mb, 1)} | {fmt(c.peak_rss_mb, 1)} | {fmt(c.vmhwm_mb, 1)} "
            f"| {fmt_errors(c)} |"
        )
    return lines


def header(meta: dict[str, Any]) -> list[str]:
    versions = meta.get("versions", {})
    lines = [
        "# imagegate benchmark results",
        "",
        f"- Date: {meta['date']}",
        f"- Command: `{meta['command']}`",
        f"- Machine: {meta['machine']}",
        f"- imagegate source: {meta.get('source', '?')}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- Cell length: {meta['seconds']} s measured after a {meta['warmup_seconds']} s warm-up; "
        f"concurrency {', '.join(str(c) for c in meta['concurrencies'])}"
        " (closed loop: each connection sends its next request when the previous answer arrives)",
        "- Pinning: the gateway under test (imagegate or litellm, 1 process / 1 uvicorn worker) runs alone "
        "on core 0 (`taskset -c 0`); the nginx fake upstream (1 worker process), the load generator "
        "(wrk `-t1`, or the httpx edit client) and the harness itself share core 1. "
        "The direct rows therefore measure nginx + client on core 1 only.",
        "- CPU ms/req: utime+stime of the measured process tree (gateway, or nginx for direct) during the "
        "cell, divided by requests sent; CPU % = the same as a share of one core. RSS: VmRSS of the tree, "
        "idle = after start-up before load, peak = highest 50 ms sample during the cell.",
        "- Noise: this machine is shared (other sessions may run tests). Before each cell the harness waits "
        f"up to {meta['quiet_wait_s']} s for the machine to drop below {meta['quiet_busy_pct']} % busy; "
        "*core-0 foreign %* is how busy core 0 was with anything other than the gateway during the cell "
        "(for direct rows: anything at all, though direct traffic never touches core 0). A gateway cell "
        f"above {meta.get('noise_retry_pct', '?')} % is rerun up to {meta.get('noise_retries', 0)} time(s) "
        "and the less disturbed run is kept; values that stay high mean the cell is contaminated.",
    ]
    notes = meta.get("target_notes", {})
    for target, note in notes.items():
        lines.append(f"- **{target}**: {note}")
    return lines


def load(json_path: Path) -> tuple[dict[str, Any], list[Cell]]:
    """Read a results.json back (for --render-only)."""
    payload = json.loads(json_path.read_text())
    cells = []
    for raw in payload["cells"]:
        fields = dict(raw)
        fields["load"] = LoadResult(**fields["load"])
        fields["core_busy_pct"] = {int(k): v for k, v in fields.get("core_busy_pct", {}).items()}
        cells.append(Cell(**fields))
    return payload["meta"], cells


def write(results_dir: Path, meta: dict[str, Any], cells: list[Cell]) -> tuple[Path, Path]:
    md = [
        *header(meta),
        "",
        "## Summary",
        "",
        "Added p50 at c=1 is the per-request overhead over the direct path; best req/s is the highest "
        "throughput over the concurrencies run (the gateway has one core; direct is bounded by nginx and "
        "the load generator sharing the other core).",
        "",
        *summary_table(cells),
        "",
        "## Latency and throughput",
        "",
        "Workloads: gen-small = generation answered with a 64×64 PNG (b64_json, ~6 KB body); "
        "gen-large = generation answered with a 1024×1024 noise PNG (b64_json, ~1.5 MB body); "
        "gen-large-url = the same with response_format=url (imagegate only; compared with direct gen-large); "
        "edit-1mb = multipart edit uploading one ~1.1 MB PNG, small answer, sent by the httpx client; "
        "edit-1mb-wrk = the identical multipart body sent by wrk (less client overhead: prefer it for "
        "added latency).",
        "",
        *throughput_table(cells),
        "",
        "## Memory: edit with 16 × 25 MB images",
        "",
        "One multipart request with 16 `image[]` parts of ~24.9 MB each (~400 MB body), sent one at a "
        f"time ({meta['memory_requests']} request(s)); the small edit answer comes back.",
        "",
        *memory_table(cells),
        "",
    ]
    md_path = results_dir / "RESULTS.md"
    json_path = results_dir / "results.json"
    md_path.write_text("\n".join(md))
    payload = {"meta": meta, "cells": [c.as_dict() for c in cells]}
    json_path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    return md_path, json_path
