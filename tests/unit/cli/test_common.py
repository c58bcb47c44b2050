"""What every CLI command shares: unknown settings stop it (each on its line), ``--config`` is read without
touching the environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imagegate.cli import app

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.mark.parametrize("command", [["serve"], ["keys", "list"], ["usage"], ["channels", "--offline"]])
def test_an_unknown_variable_stops_every_command(tmp_path: Path, command: list[str]) -> None:
    env = {"IMAGEGATE_MASTER_KYE": "m", "IMAGEGATE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines() == ["imagegate: invalid configuration: unknown setting IMAGEGATE_MASTER_KYE; "
                                          "did you mean IMAGEGATE_MASTER_KEY?"]
    assert not (tmp_path / "imagegate.db").exists()


def test_each_unknown_setting_gets_its_line(cli_config: Path) -> None:
    cli_config.write_text('[[channels]]\nname = "a"\nbase_url = "http://h"\nbase_ur = "http://h"\n'
                          'models = ["dall-e-2"]\n')
    env = {"IMAGEGATE_PROT": "1", "IMAGEGATE_HOTS": "h"}
    result = CliRunner().invoke(app, ["serve", "--config", str(cli_config)], env=env)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "imagegate: invalid configuration: unknown setting IMAGEGATE_HOTS; did you mean IMAGEGATE_HOST?",
        "imagegate: invalid configuration: unknown setting IMAGEGATE_PROT; did you mean IMAGEGATE_PORT?"]
    result = CliRunner().invoke(app, ["serve", "--config", str(cli_config)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "imagegate: invalid configuration: channel 'a': unknown key 'base_ur' for provider 'openai'; did you mean "
        "'base_url'?"]


def test_other_commands_read_the_config_option_without_touching_the_environment(cli_config: Path) -> None:
    before = dict(os.environ)
    result = CliRunner().invoke(app, ["keys", "list", "--config", str(cli_config)])
    assert result.exit_code == 0, result.output
    assert (cli_config.parent / "data" / "imagegate.db").is_file() and dict(os.environ) == before
