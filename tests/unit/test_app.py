"""A reload reads its settings through the loader the app was built with: the file chosen at start, re-read."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from imagegate.app import create_app, create_app_from_env
from imagegate.bootstrap import Services
from imagegate.config import Settings, load_settings
from tests.factories import write

pytestmark = pytest.mark.usefixtures("clean_env")


def channel(name: str) -> str:
    return f'[[channels]]\nname = "{name}"\nbase_url = "http://127.0.0.1:9/v1"\nmodels = ["dall-e-2"]\n'


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMAGEGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("IMAGEGATE_JOB_WORKERS", "0")
    return tmp_path


async def test_reload_rereads_the_file_chosen_at_start(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = write(data_dir, channel("one"), "first.toml"), write(data_dir, channel("two"), "second.toml")
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(first))
    app = create_app_from_env()
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        monkeypatch.setenv("IMAGEGATE_CONFIG", str(second))
        assert (await services.reloader.reload())["channels"] == ["one"]
        first.write_text(channel("three"))
        assert (await services.reloader.reload())["channels"] == ["three"]


async def test_reload_calls_the_loader_it_was_given(data_dir: Path) -> None:
    path = write(data_dir, channel("one"))
    calls: list[str] = []

    def loader() -> Settings:
        calls.append("load")
        return load_settings(path)

    app = create_app(load_settings(path), loader)
    async with app.router.lifespan_context(app):
        path.write_text(channel("two"))
        assert (await app.state.services.reloader.reload())["channels"] == ["two"] and calls == ["load"]


async def test_without_a_loader_reload_rebuilds_from_the_same_settings(data_dir: Path) -> None:
    path = write(data_dir, channel("one"))
    app = create_app(load_settings(path))
    async with app.router.lifespan_context(app):
        path.write_text(channel("two"))
        assert (await app.state.services.reloader.reload())["channels"] == ["one"]


async def test_shutdown_ends_every_task_the_gateway_started_before_it_closes_the_database(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_JOB_WORKERS", "2")
    path = write(data_dir, channel("one"))
    app = create_app(load_settings(path))
    before = asyncio.all_tasks()
    still_running: list[asyncio.Task[object]] = []
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        await services.reloader.reload()  # retires the first router in a task of its own
        started = asyncio.all_tasks() - before
        assert {"job-worker", "sweep", "usage-writer"} <= {task.get_name() for task in started}
        close = services.db.close

        async def closing() -> None:  # what still runs when the database goes (a query then never ends)
            still_running.extend(task for task in started if not task.done())
            await close()

        monkeypatch.setattr(services.db, "close", closing)
    assert still_running == []
    assert [task for task in started if not task.done()] == []
