"""Unknown settings: an ``IMAGEGATE_*`` variable or a TOML key that is no setting is refused, named with the
closest known one."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagegate.config import load_settings
from imagegate.settings_check import UnknownSetting
from tests.factories import channel_table, write

pytestmark = pytest.mark.usefixtures("clean_env")

def problems(**kwargs: object) -> list[str]:
    with pytest.raises(UnknownSetting) as caught:
        load_settings(**kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def test_a_misspelt_variable_names_the_setting_it_is_closest_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_MASTER_KYE", "m")
    assert problems() == ["unknown setting IMAGEGATE_MASTER_KYE; did you mean IMAGEGATE_MASTER_KEY?"]


def test_every_unknown_variable_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_PROT", "80")
    monkeypatch.setenv("imagegate_data_dri", "/tmp")
    monkeypatch.setenv("IMAGEGATE_ZZZ", "1")
    assert problems() == ["unknown setting IMAGEGATE_PROT; did you mean IMAGEGATE_PORT?",
                          "unknown setting IMAGEGATE_ZZZ",
                          "unknown setting imagegate_data_dri; did you mean IMAGEGATE_DATA_DIR?"]


def test_an_unknown_variable_is_a_value_error_saying_what_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_MASTER_KYE", "m")
    with pytest.raises(ValueError, match="did you mean IMAGEGATE_MASTER_KEY"):
        load_settings(master_key="set")


def test_known_and_foreign_variables_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"IMAGEGATE_CONFIG": str(write(tmp_path, "")), "IMAGEGATE_PORT": "81",
                        "imagegate_master_key": "m", "IMAGEGATE_CHANNELS": "[]", "OPENAI_API_KEY": "sk-x",
                        "BFL_API_KEY": "b", "FAL_KEY": "f", "IMAGEGATEWAY": "x"}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert (settings.port, settings.master_key) == (81, "m")


@pytest.mark.parametrize(("text", "message"), [
    ("mastr_key = 'm'\n", "unknown key 'mastr_key'; did you mean 'master_key'?"),
    ("zzz = 1\n", "unknown key 'zzz'"),
    (channel_table(extra="poll = { interva = 1 }", models='["dall-e-2"]'),
     "channels[0].poll: unknown key 'interva'; did you mean 'interval'?"),
    ("[models.mini]\nlike = 'dall-e-2'\nsize = ['1024x1024']\n",
     "models.mini: unknown key 'size'; did you mean 'sizes'?"),
    ("[prices.dall-e-2]\nper_imag = 0.02\n", "prices.dall-e-2: unknown key 'per_imag'; did you mean 'per_image'?"),
    ('[prices."house.v2"]\nper_image = 1\ntext_inptu = 1\n',
     "prices.\"house.v2\": unknown key 'text_inptu'; did you mean 'text_input'?"),
])
def test_an_unknown_toml_key_names_its_place_and_the_closest_key(tmp_path: Path, text: str, message: str) -> None:
    assert problems(config_file=write(tmp_path, text)) == [message]


def test_unknown_keys_are_reported_before_bad_values(tmp_path: Path) -> None:
    path = write(tmp_path, "max_attempts = 0\ncooldwon = 1\n")
    assert problems(config_file=path) == ["unknown key 'cooldwon'; did you mean 'cooldown'?"]


def test_an_unknown_override_is_reported() -> None:
    assert problems(prot=80) == ["unknown key 'prot'; did you mean 'port'?"]
