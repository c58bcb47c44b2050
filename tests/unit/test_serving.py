"""How the CLI hands settings on: ``serve --host/--port/--config`` reach the app (one worker) or the worker
processes' environment (several) without writing ``os.environ``; unknown settings stop every command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imagegate import serving
from imagegate.cli import app
from imagegate.config import Settings

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    path = tmp_path / "imagegate.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\nurl_ttl = 60\nport = 1\n')
    return path


def test_serve_hands_host_port_and_file_to_the_app_in_process(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = dict(os.environ)
    built: dict[str, Any] = {}

    def create_app(settings: Settings, loader: Any) -> str:
        built.update(settings=settings, loader=loader, environ=dict(os.environ))
        return "the app"

    def run(app: str, **options: Any) -> None:
        built.update(app=app, options=options)

    monkeypatch.setattr(serving, "create_app", create_app)
    monkeypatch.setattr(serving.uvicorn, "run", run)
    result = CliRunner().invoke(app, ["serve", "--config", str(config), "--host", "127.0.0.2", "--port", "9123"])
    assert result.exit_code == 0, result.output
    assert built["app"] == "the app" and (built["options"]["host"], built["options"]["port"]) == ("127.0.0.2", 9123)
    settings, reloaded = built["settings"], built["loader"]()
    assert (settings.host, settings.port, settings.url_ttl) == ("127.0.0.2", 9123, 60) and reloaded == settings
    assert built["environ"] == before and dict(os.environ) == before


def test_serve_with_workers_gives_them_an_explicit_environment(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = dict(os.environ)
    called: dict[str, Any] = {}

    def execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        called.update(path=path, argv=argv, env=env, environ=dict(os.environ))
        raise SystemExit(0)

    monkeypatch.setattr(serving.os, "execve", execve)
    result = CliRunner().invoke(app, ["serve", "-c", str(config), "--port", "9124", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert called["path"] == sys.executable
    assert called["argv"] == [sys.executable, "-m", "imagegate.serving", "3", "info"]
    assert called["env"] == {**before, "IMAGEGATE_CONFIG": str(config), "IMAGEGATE_PORT": "9124"}
    assert called["environ"] == before and dict(os.environ) == before


def test_the_workers_process_serves_what_its_environment_says(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(config))
    monkeypatch.setenv("IMAGEGATE_HOST", "127.0.0.3")
    seen: dict[str, Any] = {}
    monkeypatch.setattr(serving.uvicorn, "run", lambda app, **options: seen.update(app=app, **options))
    serving.main(["2", "warning"])
    assert seen["app"] == serving.WORKER_FACTORY and seen["factory"] is True and seen["workers"] == 2
    assert (seen["host"], seen["port"], seen["log_level"]) == ("127.0.0.3", 1, "warning")


@pytest.mark.parametrize("command", [["serve"], ["keys", "list"], ["usage"], ["channels", "--offline"]])
def test_an_unknown_variable_stops_every_command(tmp_path: Path, command: list[str]) -> None:
    env = {"IMAGEGATE_MASTER_KYE": "m", "IMAGEGATE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines() == ["imagegate: invalid configuration: unknown setting IMAGEGATE_MASTER_KYE; "
                                          "did you mean IMAGEGATE_MASTER_KEY?"]
    assert not (tmp_path / "imagegate.db").exists()


def test_each_unknown_setting_gets_its_line(config: Path) -> None:
    config.write_text('[[channels]]\nname = "a"\nbase_url = "http://h"\nbase_ur = "http://h"\nmodels = ["dall-e-2"]\n')
    env = {"IMAGEGATE_PROT": "1", "IMAGEGATE_HOTS": "h"}
    result = CliRunner().invoke(app, ["serve", "--config", str(config)], env=env)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "imagegate: invalid configuration: unknown setting IMAGEGATE_HOTS; did you mean IMAGEGATE_HOST?",
        "imagegate: invalid configuration: unknown setting IMAGEGATE_PROT; did you mean IMAGEGATE_PORT?"]
    result = CliRunner().invoke(app, ["serve", "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "imagegate: invalid configuration: channel 'a': unknown key 'base_ur' for provider 'openai'; did you mean "
        "'base_url'?"]


def test_other_commands_read_the_config_option_without_touching_the_environment(config: Path) -> None:
    before = dict(os.environ)
    result = CliRunner().invoke(app, ["keys", "list", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert (config.parent / "data" / "imagegate.db").is_file() and dict(os.environ) == before
