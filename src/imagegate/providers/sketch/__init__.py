"""A built-in model that needs no upstream: ``demo`` draws a labelled placeholder locally, priced 0.

Its channel needs no key (``keyless``): it is served when nothing else is configured, or when the ``demo``
setting (``IMAGEGATE_DEMO``) says so."""

from ..spec import EnvChannel, ProviderSpec
from .adapter import SketchProvider
from .models import MODELS, PRICES, SERVED

SPEC = ProviderSpec(
    name="sketch",
    build=SketchProvider,
    models=MODELS,
    prices=PRICES,
    env=EnvChannel("", "", "local://sketch", SERVED, priority=-1),
    keyless=True,
)

__all__ = ["SketchProvider", "SPEC"]
