"""The directory where several workers' metrics meet (prometheus-client's multiprocess mode).

``serve --workers N`` gives its supervisor ``PROMETHEUS_MULTIPROC_DIR``: a directory of this start's own,
``<tmp>/imagegate-metrics-<pid>`` (the process id ``serve`` and the supervisor share), or the one the
variable already names. The supervisor empties it before the workers start (values of an earlier run
would otherwise be added in) and removes the directory it made when it stops. Each worker's values are
files in it; a worker marks itself dead when it stops, and a scrape forgets workers that were killed
(:func:`imagegate.metrics.forget_dead_workers`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from .metrics import MULTIPROC_ENV


def own() -> Path:
    """The directory the gateway makes for this start (``serve`` and its supervisor share the process id)."""
    return Path(tempfile.gettempdir()) / f"imagegate-metrics-{os.getpid()}"


def chosen(environ: Mapping[str, str]) -> Path:
    """The directory ``PROMETHEUS_MULTIPROC_DIR`` names, else the gateway's own."""
    given = environ.get(MULTIPROC_ENV)
    return Path(given) if given else own()


@contextmanager
def prepared(path: Path) -> Iterator[Path]:
    """``path`` empty of any earlier run's values for the ``with`` block; removed afterwards if it is the
    gateway's own."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
    try:
        yield path
    finally:
        if path == own():
            shutil.rmtree(path, ignore_errors=True)
