"""INFLIGHT.md for bench/inflight.py: one side-by-side table per scenario, and the goals from the issue."""

from __future__ import annotations

from typing import Any

MB = 1024 * 1024
GOALS = {
    "gens": "0 errors, RSS growth ≤ 300 MB, lag p99 ≤ 20 ms, time to serve all ≤ 1.1× the upstream delay",
    "edits": "0 errors, peak RSS growth ≤ 1.5× the bytes in flight",
}
TITLES = {"gens": "concurrent generations", "edits": "concurrent 1 MB edits"}


def missed_goals(row: dict[str, Any]) -> list[str]:
    """The issue's goals this row misses (empty: all met)."""
    missed = []
    if row["errors_total"]:
        missed.append("errors")
    if row["scenario"] == "gens":
        if row["rss_growth_mb"] > 300:
            missed.append("RSS")
        if row["lag_ms"]["p99"] > 20:
            missed.append("lag")
        if row["serve_ratio"] is None or row["serve_ratio"] > 1.1:
            missed.append("time")
    elif row["growth_per_byte_in_flight"] > 1.5:
        missed.append("RSS")
    return missed


def _cells(row: dict[str, Any]) -> list[str]:
    if "failed" in row:
        return [row["target"], f"failed: {row['failed']}"] + [""] * 8
    lat, lag = row["latency_ms"], row["lag_ms"]
    errors = ", ".join(f"{k} ×{v}" for k, v in row["errors"].items()) or "0"
    ratio = f"{row['serve_ratio']:.3f}×" if row["serve_ratio"] is not None else "-"
    cells = [
        row["target"],
        f"{row['ok']:,} / {errors}",
        f"{row['wall_s']:.2f} ({ratio})" if row["wall_s"] is not None else "-",
        f"{lat['p50'] / 1000:.2f} / {lat['p99'] / 1000:.2f}",
        f"{lag['p50']:.1f} / {lag['p99']:.1f} / {lag['max']:.0f} ({row['lag_idle_ms']['p50']:.1f})",
        f"{row['rss_idle_mb']:.0f} / {row['rss_peak_mb']:.0f} / {row['rss_after_mb']:.0f}",
        f"{row['rss_growth_mb']:+.0f}",
    ]
    if row["scenario"] == "edits":
        cells.append(f"{row['bytes_in_flight'] / MB:.0f} MB → {row['growth_per_byte_in_flight']:.2f}×")
    seen = row["upstream_timeline_s"]
    last_in = f"{seen['last_received']:.2f}" if seen["last_received"] is not None else "-"
    last_out = f"{seen['last_answered']:.2f}" if seen["last_answered"] is not None else "-"
    cells += [f"{row['upstream']['peak_in_flight']:,} / {last_in} / {last_out}",
              f"{row['gateway_cpu_s']:.1f}", ", ".join(missed_goals(row)) or "all met"]
    return cells


def table(scenario: str, rows: list[dict[str, Any]], n: int, delay: float) -> list[str]:
    head = ["target", "ok / errors", "time to serve all s (× delay)", "latency p50 / p99 s",
            "probe lag p50 / p99 / max ms (idle p50)", "RSS idle / peak / after MB", "growth MB"]
    if scenario == "edits":
        head.append("bytes in flight → growth ÷ bytes")
    head += ["upstream: peak in flight / last request in at s / last answer at s", "gateway CPU s", "goals missed"]
    out = [f"### {scenario}: {n:,} {TITLES[scenario]}, upstream delay {delay:g} s", "",
           f"Goals: {GOALS[scenario]}.", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = _cells(row)
        out.append("| " + " | ".join(cells + [""] * (len(head) - len(cells))) + " |")
    return out + [""]


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = ["# In-flight benchmark", "", f"`{meta['command']}` — {meta['started']}, {meta['machine']}", "",
             f"imagegate settings: {', '.join(f'`{k}={v}`' for k, v in meta['imagegate_env'].items()) or 'defaults'}; "
             f"litellm {meta['litellm_version']}; every gateway on core {meta['gateway_core']} with "
             f"RLIMIT_NOFILE {meta['nofile']}; the fake upstream, the client and the probe on core "
             f"{meta['load_core']}.", ""]
    for scenario in ("gens", "edits"):
        rows = [r for r in results["runs"] if r["scenario"] == scenario]
        if rows:
            lines += table(scenario, rows, meta["n"][scenario], meta["delay"])
    lines += ["Time to serve all: from the client's first send to its last answer. Latency: per request, "
              "connect included. Probe lag: GET of the liveness path every 50 ms on one kept-alive connection "
              "during the burst (idle p50 measured just before it). RSS: VmRSS of the gateway's process tree "
              "sampled every 50 ms; idle just before the burst, peak during it, after once every answer is in.", ""]
    return "\n".join(lines)
