"""PostgreSQL's driver and the Redis client are extras: missing ones are named in one line, with the extra
to install, and the gateway runs on SQLite without them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from imagegate import app as app_module
from imagegate.cli import app
from imagegate.extras import MissingExtra, check
from imagegate.jobs.queue import RedisQueue
from imagegate.ledger import Database
from imagegate.ratelimit import RedisWindow

POSTGRES_URL = "postgresql+asyncpg://imagegate:secret@127.0.0.1:5432/ledger"
REDIS_URL = "redis://127.0.0.1:6379/0"
NEEDS_ASYNCPG = ("the database URL (postgresql+asyncpg://...) needs the 'asyncpg' package, which is not installed: "
                 "pip install 'imagegate[postgres]'")
STORAGE_URL = "s3://results/imagegate"
NEEDS_OBSTORE = ("storage_url (IMAGEGATE_STORAGE_URL=s3://...) needs the 'obstore' package, which is not installed: "
                 "pip install 'imagegate[s3]'")
NEEDS_REDIS = ("redis_url (IMAGEGATE_REDIS_URL) needs the 'redis' package, which is not installed: "
               "pip install 'imagegate[redis]'")


@pytest.fixture
def no_asyncpg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)


@pytest.fixture
def no_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name == "redis" or name.startswith("redis.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "redis", None)


@pytest.mark.usefixtures("no_asyncpg")
def test_a_postgres_url_without_asyncpg() -> None:
    with pytest.raises(MissingExtra) as err:
        Database(POSTGRES_URL)
    assert str(err.value) == NEEDS_ASYNCPG  # one line, and the password is not in it
    with pytest.raises(MissingExtra):
        check(POSTGRES_URL, None)


@pytest.mark.usefixtures("no_redis")
def test_a_redis_url_without_redis() -> None:
    for build in (lambda: RedisWindow.from_url(REDIS_URL), lambda: RedisQueue(REDIS_URL, "imagegate", 30)):
        with pytest.raises(MissingExtra) as err:
            build()
        assert str(err.value) == NEEDS_REDIS
    with pytest.raises(MissingExtra):
        check(None, REDIS_URL)


@pytest.fixture
def no_obstore(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name == "obstore" or name.startswith("obstore.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "obstore", None)


@pytest.mark.usefixtures("no_obstore")
def test_an_s3_storage_url_without_obstore(cli_env: dict[str, str]) -> None:
    with pytest.raises(MissingExtra) as err:
        check(None, None, STORAGE_URL)
    assert str(err.value) == NEEDS_OBSTORE
    check(None, None, "file:///srv/results")
    result = CliRunner().invoke(app, ["serve"], env={**cli_env, "IMAGEGATE_STORAGE_URL": STORAGE_URL})
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == f"imagegate: {NEEDS_OBSTORE}"


@pytest.mark.usefixtures("no_asyncpg", "no_redis")
async def test_sqlite_needs_neither(tmp_path: Path) -> None:
    check(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}", None)
    check(None, None)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    await db.migrate()
    await db.close()


@pytest.fixture
def cli_env(tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server was started")

    monkeypatch.setattr(uvicorn, "run", never)
    return {"IMAGEGATE_DATA_DIR": str(tmp_path), "IMAGEGATE_MASTER_KEY": "ig-master"}


@pytest.mark.usefixtures("no_asyncpg")
@pytest.mark.parametrize("command", [["serve"], ["keys", "list"], ["usage"]])
def test_the_cli_names_the_postgres_extra(cli_env: dict[str, str], command: list[str]) -> None:
    result = CliRunner().invoke(app, command, env={**cli_env, "IMAGEGATE_DATABASE_URL": POSTGRES_URL})
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == f"imagegate: {NEEDS_ASYNCPG}"


@pytest.mark.usefixtures("no_redis")
def test_serve_names_the_redis_extra(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["serve"], env={**cli_env, "IMAGEGATE_REDIS_URL": REDIS_URL})
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == f"imagegate: {NEEDS_REDIS}"


@pytest.mark.usefixtures("no_redis")
def test_the_app_factory_names_the_redis_extra(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**cli_env, "IMAGEGATE_REDIS_URL": REDIS_URL}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_:
        app_module.create_app_from_env()
    assert exit_.value.code == f"imagegate: {NEEDS_REDIS}"  # printed as one line, exit status 1


STARTS_WITHOUT_EXTRAS = """
import asyncio, sys
for name in ("asyncpg", "redis", "httpx"):
    sys.modules[name] = None
import imagegate.app, imagegate.cli
from imagegate.config import load_settings
from imagegate.bootstrap import start

async def main() -> None:
    gateway = await start(load_settings())
    await gateway.close()

asyncio.run(main())
print("started")
"""


def test_the_gateway_starts_on_sqlite_without_the_extras_or_httpx(cli_env: dict[str, str]) -> None:
    """In a fresh interpreter, so that no module of the gateway or the CLI imports them at import time."""
    done = subprocess.run([sys.executable, "-c", STARTS_WITHOUT_EXTRAS], env={**os.environ, **cli_env},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "started", done.stderr
