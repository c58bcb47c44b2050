"""What a provider declares as data: its parameter table, its models, prices, credential and env channel.

Everything generic is derived from these declarations (see :mod:`imagegate.providers.registry`):
the catalog's built-in models, the shipped price list, the accepted extension fields, the key
scrubber, the credential header the HTTP client hides, and the channels a ``<NAME>_API_KEY``
variable gives. A provider module exports one :class:`ProviderSpec`.

A :class:`ParamTable` says, for each OpenAI-side field, the upstream field it becomes, a pure
transform, and the values the upstream takes. It answers three questions without I/O:

- :meth:`ParamTable.refusal`: can this upstream honour every value of a job? (The router asks it
  before choosing a channel, so an answer never depends on which channel is healthy.)
- :meth:`ParamTable.body`: the upstream request fields for a job's values.
- :meth:`ParamTable.openai_name`: which OpenAI field an upstream's error about a field blames.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..catalog import ModelSpec
from ..errors import InvalidRequest
from ..fields import FieldSpec
from ..ledger.pricing import Price

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..job import ImageJob
    from .base import Provider, Upstream
    from .http import Http

SAME = "="  # the upstream field has the OpenAI field's name


@dataclass(frozen=True, slots=True)
class Param:
    """One OpenAI-side field: the upstream field(s) it becomes (``None``: the translation uses it, no field of
    its own carries it), a pure transform, and the values the upstream takes (``None``: any the catalog
    accepts), described for errors as ``takes``."""

    openai: str
    upstream: str | tuple[str, ...] | None = SAME
    allowed: Collection[Any] | None = None
    takes: str = ""
    transform: Callable[[Any], Any] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        if self.upstream is None:
            return ()
        if self.upstream == SAME:
            return (self.openai,)
        return (self.upstream,) if isinstance(self.upstream, str) else self.upstream


class ParamTable:
    """A provider's parameter table; ``label`` names the upstream in errors (``"fal"``)."""

    def __init__(self, label: str, *params: Param) -> None:
        self.label = label
        self.params = {param.openai: param for param in params}
        self._reverse = {name: param.openai for param in params for name in param.names}

    def refusal(self, values: Mapping[str, Any]) -> InvalidRequest | None:
        """The 400 for the first value this upstream can't honour, or ``None``."""
        for name, value in values.items():
            param = self.params.get(name)
            if param is None:
                return InvalidRequest(f"'{name}' can't be served by this model's upstream ({self.label}).",
                                      param=name, code="unsupported_parameter")
            if param.allowed is not None and value not in param.allowed:
                takes = f"; it takes {param.takes}" if param.takes else ""
                return InvalidRequest(f"'{name}' {value!r} can't be served by this model's upstream "
                                      f"({self.label}){takes}.", param=name, code="unsupported_value")
        return None

    def check(self, values: Mapping[str, Any]) -> None:
        refusal = self.refusal(values)
        if refusal is not None:
            raise refusal

    def body(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The upstream fields for ``values`` (checked first: a value the upstream can't take raises). A dotted
        upstream name (``imageConfig.aspectRatio``) is a field of a nested object."""
        self.check(values)
        body: dict[str, Any] = {}
        for name, value in values.items():
            param = self.params[name]
            if param.names:
                *parents, leaf = param.names[0].split(".")
                target = body
                for parent in parents:
                    target = target.setdefault(parent, {})
                target[leaf] = param.transform(value) if param.transform is not None else value
        return body

    def openai_name(self, upstream_field: str | None) -> str | None:
        return self._reverse.get(upstream_field or "")


@dataclass(frozen=True, slots=True)
class EnvChannel:
    """The channel a provider's own key variable gives (named after the provider): ``key_var`` holds the key,
    ``base_var`` may move the base URL, ``models`` maps public ids to upstream ids."""

    key_var: str
    base_var: str
    base_url: str
    models: Mapping[str, str]
    priority: int = 0


Build = Callable[["Upstream", "Http"], "Provider"]
Refusal = Callable[["ImageJob", str], "InvalidRequest | None"]


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """One upstream protocol, as data plus the factory of its I/O half.

    ``credential_header`` is the request header that carries the account's key (its value is never
    echoed to a client); ``key_prefixes`` are the prefixes of the vendor's key format (``sk``, followed by
    a dash or underscore) and ``key_patterns`` regular expressions of key formats without one
    (``AIza…``), so key-shaped text in an upstream's message is scrubbed; ``channel_options`` is a pydantic model of
    the ``[[channels]]`` keys only this provider takes, and ``default_base_url`` the base URL a channel
    without one gets (from those options; else the env channel's). A ``keyless`` provider makes no network call; its env
    channel (``key_var`` unused) is added when no other channel is configured, or always when the ``demo`` setting is
    true, and never when it is false."""

    name: str
    build: Build
    credential_header: str = "Authorization"
    key_prefixes: tuple[str, ...] = ()
    key_patterns: tuple[str, ...] = ()
    models: tuple[ModelSpec, ...] = ()
    prices: Mapping[str, Price] = field(default_factory=dict)
    fields: tuple[FieldSpec, ...] = ()
    env: EnvChannel | None = None
    channel_options: type[BaseModel] | None = None
    default_base_url: Callable[[Any], str] | None = None  # from the channel's options, when it sets no base_url
    keyless: bool = False  # its env channel needs no key: served when nothing else is, or as the demo setting says
