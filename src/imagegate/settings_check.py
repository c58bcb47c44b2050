"""Names that are no setting: ``IMAGEGATE_*`` environment variables and TOML keys, each reported with the
closest known name.

pydantic-settings ignores environment variables it doesn't know, so a misspelt ``IMAGEGATE_MASTER_KEY``
would otherwise leave the gateway open; unknown TOML keys fail validation, and are reported here in
one line each instead of pydantic's raw error.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

CONFIG_ENV = "IMAGEGATE_CONFIG"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class UnknownSetting(ValueError):
    """Settings name something that is no setting; ``problems`` holds one line per unknown name."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _closest(name: str, known: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, list(known), n=1)
    return matches[0] if matches else None


def env_prefix(settings_cls: type[BaseSettings]) -> str:
    return str(settings_cls.model_config.get("env_prefix") or "").upper()


def env_names(settings_cls: type[BaseSettings], name: str, field: FieldInfo) -> list[str]:
    """The environment variables a field is read from (upper case): its aliases, else prefix + name."""
    alias = field.validation_alias
    if isinstance(alias, str):
        return [alias.upper()]
    if isinstance(alias, AliasChoices):
        return [choice.upper() for choice in alias.choices if isinstance(choice, str)]
    return [f"{env_prefix(settings_cls)}{name}".upper()]


def known_variables(settings_cls: type[BaseSettings]) -> set[str]:
    """Every environment variable settings are read from, and ``IMAGEGATE_CONFIG``."""
    known = {CONFIG_ENV}
    for name, field in settings_cls.model_fields.items():
        known.update(env_names(settings_cls, name, field))
    return known


def unknown_variables(settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> list[str]:
    """One line per variable with the settings' prefix that no setting is read from (names are compared
    in upper case, as pydantic-settings reads them case-insensitively)."""
    prefix = env_prefix(settings_cls)
    known = known_variables(settings_cls)
    suffixes = sorted(k.removeprefix(prefix) for k in known if k.startswith(prefix))  # compared without the prefix
    problems = []
    for name in sorted(environ):
        if not name.upper().startswith(prefix) or name.upper() in known:
            continue
        match = _closest(name.upper().removeprefix(prefix), suffixes)
        problems.append(f"unknown setting {name}" + (f"; did you mean {prefix}{match}?" if match else ""))
    return problems


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class in ``annotation`` or in an optional ``annotation``, if there is one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            model = _model_in(arg)
            if model is not None:
                return model
    return None


def _model_at(root: type[BaseModel], path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class validating the value at ``path`` (field names, list indices and dict keys)."""
    annotation: Any = root
    for part in path:
        model = _model_in(annotation)
        if model is not None:
            if not isinstance(part, str) or part not in model.model_fields:
                return None
            annotation = model.model_fields[part].annotation
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
        else:
            return None
    return _model_in(annotation)


def _where(path: Sequence[str | int]) -> str:
    """A TOML-like name for a place: ``channels[0]``, ``models.mini``, ``prices."gpt-image-1.5"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
            out += f".{key}" if out else key
    return out


def unknown_keys(root: type[BaseModel], error: ValidationError) -> list[str]:
    """One line per key a validation error refused as extra, naming the closest key allowed there."""
    problems = []
    for item in error.errors():
        if item["type"] != "extra_forbidden" or not item["loc"]:
            continue
        *parent, key = item["loc"]
        model = _model_at(root, parent)
        known = list(model.model_fields) if model is not None else []
        where = f"{_where(parent)}: " if parent else ""
        match = _closest(str(key), known)
        problems.append(f"{where}unknown key {str(key)!r}" + (f"; did you mean {match!r}?" if match else ""))
    return problems
