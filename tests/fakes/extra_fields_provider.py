"""A provider module kept outside the package (``provider_modules``): no models, one extension field, to check
that what such a module declares reaches the OpenAPI document."""

from __future__ import annotations

from typing import NoReturn

from imagegate.fields import FieldSpec
from imagegate.providers.base import Upstream
from imagegate.providers.http import Http
from imagegate.providers.spec import ProviderSpec

FIELD = FieldSpec("detail_level", "int", low=1, high=5, option=True, description="How much detail to add.")


def _build(upstream: Upstream, http: Http) -> NoReturn:
    raise NotImplementedError("this provider only declares a field")


SPEC = ProviderSpec(name="extra-fields", build=_build, fields=(FIELD,))
