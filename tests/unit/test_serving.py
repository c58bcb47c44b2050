"""How ``serve`` hands settings on: ``--host/--port/--config`` reach the app (one worker) or the worker
processes' environment (several) without writing ``os.environ``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imagegate import serving
from imagegate.cli import app
from imagegate.config import Settings

pytestmark = pytest.mark.usefixtures("clean_env")


def test_serve_hands_host_port_and_file_to_the_app_in_process(cli_config: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    before = dict(os.environ)
    built: dict[str, Any] = {}

    def create_app(settings: Settings, loader: Any) -> str:
        built.update(settings=settings, loader=loader, environ=dict(os.environ))
        return "the app"

    def run(app: str, **options: Any) -> None:
        built.update(app=app, options=options)

    monkeypatch.setattr(serving, "create_app", create_app)
    monkeypatch.setattr(serving.uvicorn, "run", run)
    result = CliRunner().invoke(app, ["serve", "--config", str(cli_config), "--host", "127.0.0.2", "--port", "9123"])
    assert result.exit_code == 0, result.output
    assert built["app"] == "the app" and (built["options"]["host"], built["options"]["port"]) == ("127.0.0.2", 9123)
    settings, reloaded = built["settings"], built["loader"]()
    assert (settings.host, settings.port, settings.url_ttl) == ("127.0.0.2", 9123, 60) and reloaded == settings
    assert built["environ"] == before and dict(os.environ) == before


def test_serve_with_workers_gives_them_an_explicit_environment(cli_config: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before = dict(os.environ)
    called: dict[str, Any] = {}

    def execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        called.update(path=path, argv=argv, env=env, environ=dict(os.environ))
        raise SystemExit(0)

    monkeypatch.setattr(serving.os, "execve", execve)
    result = CliRunner().invoke(app, ["serve", "-c", str(cli_config), "--port", "9124", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert called["path"] == sys.executable
    assert called["argv"] == [sys.executable, "-m", "imagegate.serving", "3", "info"]
    metrics_dir = str(Path(tempfile.gettempdir()) / f"imagegate-metrics-{os.getpid()}")
    assert called["env"] == {**before, "IMAGEGATE_CONFIG": str(cli_config), "IMAGEGATE_PORT": "9124",
                             "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    assert called["environ"] == before and dict(os.environ) == before


def test_the_workers_process_serves_what_its_environment_says(cli_config: Path, monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(cli_config))
    monkeypatch.setenv("IMAGEGATE_HOST", "127.0.0.3")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))  # restored after the test
    seen: dict[str, Any] = {}
    monkeypatch.setattr(serving.uvicorn, "run", lambda app, **options: seen.update(app=app, **options))
    serving.main(["2", "warning"])
    assert seen["app"] == serving.WORKER_FACTORY and seen["factory"] is True and seen["workers"] == 2
    assert (seen["host"], seen["port"], seen["log_level"]) == ("127.0.0.3", 1, "warning")
    assert seen["timeout_worker_healthcheck"] == serving.WORKER_HEALTHCHECK  # a busy machine's slow imports


def test_the_workers_metrics_directory_is_emptied_at_start_and_removed_at_exit(
        cli_config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(cli_config))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    own = tmp_path / f"imagegate-metrics-{os.getpid()}"
    own.mkdir()
    (own / "counter_1.db").write_bytes(b"an earlier run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(own))  # as serve hands it on (and restored after)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(serving.uvicorn, "run", lambda app, **options: seen.update(
        files=sorted(own.iterdir()), env=os.environ["PROMETHEUS_MULTIPROC_DIR"]))
    serving.main(["2", "warning"])
    assert seen == {"files": [], "env": str(own)} and not own.exists()


def test_a_metrics_directory_given_by_the_operator_is_emptied_but_kept(
        cli_config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(cli_config))
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "gauge_livesum_1.db").write_bytes(b"an earlier run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(given))
    monkeypatch.setattr(serving.uvicorn, "run", lambda app, **options: None)
    serving.main(["2", "warning"])
    assert given.is_dir() and not any(given.iterdir())


@pytest.mark.parametrize("workers", ["1", "3"])
def test_serve_refuses_otel_variables_it_cannot_honour_before_any_worker_starts(
        cli_config: Path, monkeypatch: pytest.MonkeyPatch, workers: str) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    started: list[str] = []
    monkeypatch.setattr(serving.os, "execve", lambda *args: started.append("workers"))
    monkeypatch.setattr(serving.uvicorn, "run", lambda *args, **options: started.append("one"))
    result = CliRunner().invoke(app, ["serve", "-c", str(cli_config), "--workers", workers])
    assert result.exit_code == 2 and started == []
    assert "invalid configuration: OTEL_TRACES_EXPORTER=zipkin" in result.output


def test_one_worker_empties_a_metrics_directory_the_operator_gives(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_1.db").write_bytes(b"an earlier run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(given))
    seen: list[list[Path]] = []
    monkeypatch.setattr(serving, "create_app", lambda settings, loader: "the app")
    monkeypatch.setattr(serving.uvicorn, "run", lambda app, **options: seen.append(sorted(given.iterdir())))
    serving.run_here(Settings(), serving.SettingsLoader(), "info")
    assert seen == [[]] and given.is_dir()
