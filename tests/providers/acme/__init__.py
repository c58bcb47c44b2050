"""Acme Render, a provider that lives only in the tests: its folder and this one ``SPEC`` are all it takes.

The gateway loads it with ``IMAGEGATE_PROVIDER_MODULES='["tests.providers.acme"]'``; nothing under
``src/`` names it.
"""

from imagegate.fields import FieldSpec
from imagegate.ledger.pricing import per_image
from imagegate.providers.spec import EnvChannel, ProviderSpec

from .adapter import AcmeProvider
from .models import ACME_1

SPEC = ProviderSpec(
    name="acme",
    build=AcmeProvider,
    credential_header="X-Acme-Key",
    key_prefixes=("acme_live",),
    models=(ACME_1,),
    prices={"acme-1": per_image({"512x512": "0.01", "1024x1024": "0.02"})},
    fields=(FieldSpec("finish", choices=("matte", "gloss"), option=True,
                      description="Acme: the surface finish of the rendered image."),),
    env=EnvChannel("ACME_API_KEY", "ACME_BASE_URL", "https://render.acme.invalid", {"acme-1": "acme-render-1"}),
)
