"""The Python process set up for serving: glibc's allocator for megabyte-sized buffers, and the garbage collector
for thousands of requests in flight. Only the server's entry points call :func:`tune`; tests and tools keep the
defaults.

**Allocator.**
A request body, an upload, a base64 answer: each is a buffer of a few hundred kB to a few MB that lives
for one request. glibc serves an allocation above its mmap threshold (128 kB at first, raised as large
blocks are freed, up to 32 MB) with a fresh ``mmap`` and returns it with ``munmap``, and it trims the top
of the heap as soon as 2 × that threshold is free, so such a buffer costs system calls and page faults
each time: about a millisecond of kernel time per MB moved, measured on a 1 MB edit. Fixed thresholds
keep those buffers in the heap, where the next request reuses them. Memory the process no longer uses is
still given back, once more than :data:`TRIM_THRESHOLD` of it is free at the top of the heap.

``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or ``MALLOC_TOP_PAD_`` in the environment (glibc
reads them when the process starts) win: then nothing is changed. On other C libraries this does nothing.

**Garbage collector.** With 2,000 requests waiting on slow upstreams, a few hundred thousand objects are alive,
and CPython's default thresholds run a collection that walks all of them every few dozen requests: measured,
that more than doubled the CPU a request costs while a burst was being taken in. Collections are made rarer
(:data:`GC_THRESHOLDS`), and once the app has started, everything built so far (modules, catalog, routes) is
moved out of the collector's sight (``gc.freeze``): it lives as long as the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import sys

log = logging.getLogger("imagegate")
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's <malloc.h>
MB = 1024 * 1024
MMAP_THRESHOLD = 32 * MB
TRIM_THRESHOLD = 256 * MB
TOP_PAD = 16 * MB
ENVIRONMENT = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")
GC_THRESHOLDS = (20_000, 50, 100)  # CPython's defaults: (700, 10, 10)
_serving = False


def tune() -> None:
    """Set this process up for serving (call before the app starts)."""
    global _serving
    _serving = True
    gc.set_threshold(*GC_THRESHOLDS)
    tune_allocator()


def started() -> None:
    """The app has started: in a serving process, what exists now is kept out of the collector's work."""
    if _serving:
        gc.collect()
        gc.freeze()


def tune_allocator() -> bool:
    """Set glibc's thresholds for this process; whether they were set."""
    if not sys.platform.startswith("linux") or any(name in os.environ for name in ENVIRONMENT):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # not glibc (musl's mallopt does nothing)
        return False
    done = all(libc.mallopt(option, value) == 1 for option, value in (
        (M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD), (M_TOP_PAD, TOP_PAD)))
    if not done:
        log.warning("could not set the allocator's thresholds; large requests cost more system time")
    return done
