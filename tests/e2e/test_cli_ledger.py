"""``imagegate keys ...`` and ``imagegate usage``: limits from the command line, clear failures, exit codes.

The commands that touch the ledger run as real processes on each backend (SQLite and PostgreSQL);
the failures that happen before the ledger is used run in-process (``CliRunner``), once.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from imagegate.cli import app
from tests.harness import Gateway

from .ledger_tools import generate, micros


def run(gateway: Gateway, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a real process."""
    return subprocess.run([sys.executable, "-m", "imagegate", *args], env={**gateway.env, **(env or {})},
                          capture_output=True, text=True, timeout=60, check=False)


def cli(gateway: Gateway, *args: str) -> Result:
    """The CLI in this process (faster), on the gateway's ledger."""
    env = {k: v for k, v in gateway.env.items() if k.startswith(("IMAGEGATE_", "OPENAI_"))}
    return CliRunner().invoke(app, list(args), env=env)


def test_create_with_limits_use_list_update_usage_revoke(ledger: Gateway) -> None:
    name = f"cli-{uuid.uuid4().hex[:6]}"
    created = cli(ledger, "keys", "create", "--name", name, "--budget", "1.5", "--budget-period", "month",
                  "--models", "dall-e-2,dall-e-3", "--rpm", "60", "--expires", "2099-12-31")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert "budget $1.5/month" in created.stdout
    cost = micros(generate(ledger, key, model="dall-e-2", size="512x512"))
    line = next(line for line in cli(ledger, "keys", "list").stdout.splitlines() if f" {name} " in line)
    assert "$1.5/month" in line and "0.018" in line and "2099-12-31" in line and "dall-e-2,dall-e-3" in line
    assert key not in line
    updated = cli(ledger, "keys", "update", name, "--budget", "none", "--models", "all", "--rpm", "none")
    assert updated.exit_code == 0 and "budget -" in updated.stdout
    report = cli(ledger, "usage", "--key", name, "--by", "model")
    assert report.exit_code == 0, report.output
    rows = report.stdout.splitlines()
    assert rows[1].split()[:2] == ["dall-e-2", "1"] and rows[-1].split()[0] == "total"
    assert f"{cost / 1e6:g}" in rows[1]
    assert cli(ledger, "usage", "--by", "day", "--since", "2020-01-01").exit_code == 0
    revoked = run(ledger, "keys", "revoke", name)
    assert revoked.returncode == 0 and generate(ledger, key, model="dall-e-2").status_code == 401
    missing = run(ledger, "keys", "revoke", name)
    assert missing.returncode == 1 and "no active key" in missing.stderr


@pytest.mark.parametrize(("args", "option"), [
    (["keys", "create", "--name", "x", "--budget", "-1"], "--budget"),
    (["keys", "create", "--name", "x", "--budget", "ten"], "--budget"),
    (["keys", "create", "--name", "x", "--budget", "0.0000001"], "--budget"),
    (["keys", "create", "--name", "x", "--budget", "1", "--budget-period", "year"], "--budget-period"),
    (["keys", "create", "--name", "x", "--budget-period", "day"], "--budget-period"),
    (["keys", "create", "--name", "x", "--rpm", "0"], "--rpm"),
    (["keys", "create", "--name", "x", "--rpm", "fast"], "--rpm"),
    (["keys", "create", "--name", "x", "--expires", "2001-01-01"], "--expires"),
    (["keys", "create", "--name", "x", "--expires", "tomorrow"], "--expires"),
    (["keys", "create", "--name", "x", "--models", "gpt-image-9"], "--models"),
    (["keys", "create", "--name", "x", "--models", ","], "--models"),
    (["keys", "create", "--name", " "], "--name"),
    (["keys", "update", "1"], "nothing to change"),
    (["keys", "update", "1", "--rpm", "-5"], "--rpm"),
    (["usage", "--since", "last week"], "--since"),
    (["usage", "--by", "colour"], "--by"),
])
def test_bad_input_names_the_option_and_exits_2(tmp_path: Path, args: list[str], option: str) -> None:
    result = CliRunner().invoke(app, args, env={"IMAGEGATE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert option in result.stderr and result.exception is None or isinstance(result.exception, SystemExit)


def test_a_taken_name_exits_2(ledger: Gateway) -> None:
    name = f"cli-{uuid.uuid4().hex[:6]}"
    assert cli(ledger, "keys", "create", "--name", name).exit_code == 0
    taken = cli(ledger, "keys", "create", "--name", name)
    assert taken.exit_code == 2 and "already named" in taken.stderr


@pytest.mark.parametrize("command", [["keys", "list"], ["usage"], ["serve"]])
def test_an_unreachable_database_is_one_line_naming_the_url_without_its_password(
        tmp_path: Path, command: list[str]) -> None:
    url = "postgresql+asyncpg://imagegate:hunter2@127.0.0.1:1/ledger"
    env = {"IMAGEGATE_DATABASE_URL": url, "IMAGEGATE_DATA_DIR": str(tmp_path), "OPENAI_API_KEY": "sk-x"}
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "hunter2" not in result.output and result.stdout == ""
    assert result.stderr.splitlines() == [f"imagegate: cannot reach the database at {url.replace('hunter2', '***')}: "
                     "[Errno 111] Connect call failed ('127.0.0.1', 1)"]


def test_serve_refuses_to_start_on_an_unreachable_database(gateway: Gateway) -> None:
    url = "postgresql+asyncpg://imagegate:hunter2@127.0.0.1:1/ledger"
    result = run(gateway, "serve", env={"IMAGEGATE_DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["imagegate: cannot reach the database at "
                                          "postgresql+asyncpg://imagegate:***@127.0.0.1:1/ledger: "
                                          "[Errno 111] Connect call failed ('127.0.0.1', 1)"]


@pytest.mark.parametrize(("toml", "message"), [
    ('[[channels]]\nname = "c"\nbase_url = "http://127.0.0.1:1"\nmodels = { "house" = "secret-model" }\n'
     '[models.house]\nlike = "gpt-image-1"\n', "model 'house' has no price: add [prices.'house']"),
    ('[prices.dall-e-3]\nper_image = { "1024x1024" = 0.04 }\n', "does not cover 1792x1024"),
    ('[prices.dall-e-2]\nper_image = -1\n', "greater than or equal to 0"),
    ('[prices.nope]\nper_image = 1\n', "unknown model 'nope'"),
])
def test_serve_refuses_a_price_table_with_holes(tmp_path: Path, toml: str, message: str) -> None:
    config = tmp_path / "imagegate.toml"
    config.write_text(toml)
    env = {"IMAGEGATE_CONFIG": str(config), "IMAGEGATE_DATA_DIR": str(tmp_path), "OPENAI_API_KEY": "sk-x"}
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code == 2 and message in result.stderr, result.output
