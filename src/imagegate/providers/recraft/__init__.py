"""Recraft's API (external.api.recraft.ai): raster and vector (SVG) image models, OpenAI-shaped with Recraft's
own fields (``style``, ``substyle``, ``negative_prompt``) and edits (image-to-image, inpainting)."""

from ...fields import FieldSpec
from ..spec import EnvChannel, ProviderSpec
from .adapter import RecraftProvider
from .models import MODELS, PRICES, SERVED

SUBSTYLE = FieldSpec("substyle", endpoints=frozenset({"generations"}), option=True,
                     description="Recraft V3 models: a substyle of the 'style' sent with it (Recraft's styles list).")

SPEC = ProviderSpec(
    name="recraft",
    build=RecraftProvider,
    credential_header="Authorization",
    models=MODELS,
    prices=PRICES,
    fields=(SUBSTYLE,),
    env=EnvChannel("RECRAFT_API_KEY", "RECRAFT_BASE_URL", "https://external.api.recraft.ai/v1", SERVED),
)

__all__ = ["SPEC", "RecraftProvider"]
