"""Acme Render's one model as data."""

from imagegate.catalog import ModelSpec

ACME_1 = ModelSpec(
    id="acme-1",
    endpoints=frozenset({"generations", "edits"}),
    sizes=("512x512", "1024x1024"),
    size_auto=False,
    default_size="512x512",
    prompt_max=2000,
    qualities=("auto",),
    default_response_format="url",
    n_max=4,
    upstream_n_max=2,
    options=frozenset({"finish"}),
    edit_max_images=2,
    mask=False,
    owned_by="acme",
)
