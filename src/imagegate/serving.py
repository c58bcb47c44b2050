"""Running the app under uvicorn: in this process (one worker), or in several worker processes.

One worker: the app is built here, from the settings ``imagegate serve`` already loaded, with the
loader a reload calls.

Several workers: uvicorn starts each worker as a new process that imports the app factory by name,
so the settings have to reach those processes. ``imagegate serve`` replaces itself (``os.execve``,
same process id, so signals still reach the server) with ``python -m imagegate.serving``, under an
environment built explicitly from its loader: the process's own environment with ``IMAGEGATE_CONFIG``
set to the file it chose and one ``IMAGEGATE_*`` variable per command-line override (``--host``,
``--port``). That process runs uvicorn's supervisor; the workers inherit the environment and build the
app with :func:`imagegate.app.create_app_from_env`. The serving process's own ``os.environ`` is never
changed. The environment also names the directory where the workers' metrics meet
(:mod:`imagegate.metrics_dir`), so that ``/metrics`` covers every worker whichever answers.

SIGTERM drains the gateway first (:mod:`imagegate.lifecycle`), then uvicorn shuts down and passes the
signal on to the handler that was there before it; that handler (:func:`_stopped`) ends the process with
status 0, as a stop that was asked for and went well.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import uvicorn

from . import metrics_dir, runtime
from .app import create_app
from .config import Settings, SettingsLoader
from .logs import logging_config
from .metrics import MULTIPROC_ENV

WORKER_FACTORY = "imagegate.app:create_app_from_env"
# Seconds a worker has to answer its supervisor's health check before it is replaced. Uvicorn's 5 s default
# replaces a new worker that is still importing the app on a busy machine, again and again.
WORKER_HEALTHCHECK = 30


def _options(settings: Settings, log_level: str) -> dict[str, Any]:
    return {"host": settings.host, "port": settings.port, "log_level": log_level,
            "log_config": logging_config(log_level), "access_log": False, "proxy_headers": False}


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def run_here(settings: Settings, loader: SettingsLoader, log_level: str) -> None:
    """Serve with one worker, in this process (emptying ``PROMETHEUS_MULTIPROC_DIR`` first if it is set)."""
    signal.signal(signal.SIGTERM, _stopped)
    runtime.tune()
    given = os.environ.get(MULTIPROC_ENV)
    with metrics_dir.prepared(Path(given)) if given else nullcontext():
        uvicorn.run(create_app(settings, loader), **_options(settings, log_level))


def workers_command(loader: SettingsLoader, workers: int, log_level: str) -> tuple[list[str], dict[str, str]]:
    """The command line and the environment of the process that runs ``workers`` workers (with the directory
    where their metrics meet)."""
    argv = [sys.executable, "-m", "imagegate.serving", str(workers), log_level]
    env = loader.environment(os.environ)
    env[MULTIPROC_ENV] = str(metrics_dir.chosen(env))
    return argv, env


def exec_workers(loader: SettingsLoader, workers: int, log_level: str) -> NoReturn:
    """Replace this process with uvicorn's supervisor of ``workers`` workers, settings from ``loader``."""
    argv, env = workers_command(loader, workers, log_level)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)


def main(argv: Sequence[str]) -> None:
    """``python -m imagegate.serving WORKERS LOG_LEVEL``: settings from this process's environment."""
    workers, log_level = int(argv[0]), argv[1]
    settings = SettingsLoader.at_start()()
    path = metrics_dir.chosen(os.environ)
    os.environ[MULTIPROC_ENV] = str(path)  # the workers start with this process's environment
    signal.signal(signal.SIGTERM, _stopped)
    with metrics_dir.prepared(path):
        uvicorn.run(WORKER_FACTORY, factory=True, workers=workers, timeout_worker_healthcheck=WORKER_HEALTHCHECK,
                    **_options(settings, log_level))


if __name__ == "__main__":
    main(sys.argv[1:])
