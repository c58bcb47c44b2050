"""Benchmark harness modules for bench/run.py."""
