"""Admission: a request's fields and uploads become a complete :class:`ImageJob`, or an OpenAI error naming
what is wrong — the one path for the routes, streams and async jobs alike.

    fields     known to the endpoint, typed and in range          (fields.FieldTable; 400 unknown_parameter)
    model      served by a channel                                  (404 model_not_found)
               allowed for the key                                  (403 model_not_allowed)
               its spec from the catalog; a masked edit on a model without masks goes to the model it names
    normalise  defaults, mappings (size ↔ ratio, quality aliases), the model's own limits
    inputs     count, size, format, pixels, mask shape              (400/413 naming image or mask)
    channels   at least one channel of the model can honour every value (400 naming the value)

Nothing is sent upstream, held or charged before a request is admitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from .auth import Principal
from .catalog import ModelSpec
from .context import current
from .errors import InvalidRequest, NotFound
from .fields import FieldTable
from .inputs import check_inputs
from .job import ImageJob, Upload
from .normalise import normalise
from .routing import Live, Routing


@dataclass(frozen=True, slots=True)
class Admitted:
    """An admitted request: its job, its coerced fields (what an async job stores and an idempotency key
    hashes), where its webhook goes, if it has one, and the headers its answer carries (the model that
    serves it, and ``Deprecation`` when it was asked for by a deprecated alias)."""

    job: ImageJob
    values: dict[str, Any]
    webhook_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def model_headers(requested: ModelSpec, serving: ModelSpec) -> dict[str, str]:
    """``x-imagegate-model`` names the model that serves the request; a deprecated alias adds ``Deprecation``
    (RFC 9745: the date it was deprecated) and a ``Link`` to its successor; each of the model's ``marks`` adds
    ``x-imagegate-<mark>: true``."""
    headers = {"x-imagegate-model": serving.id, **{f"x-imagegate-{mark}": "true" for mark in serving.marks}}
    if requested.deprecated is not None:
        stamp = int(datetime.fromisoformat(requested.deprecated).replace(tzinfo=UTC).timestamp())
        headers["Deprecation"] = f"@{stamp}"
        headers["Link"] = f'</v1/models/{serving.id}>; rel="successor-version"'
    return headers


class Admission:
    def __init__(self, live: Live, fields: FieldTable, default_model: str, max_image_pixels: int) -> None:
        self.live = live
        self.fields = fields
        self.default_model = default_model
        self.max_image_pixels = max_image_pixels

    def model(self, model_id: str, principal: Principal, routing: Routing | None = None) -> ModelSpec:
        """The spec of a model a channel serves (else 404 ``model_not_found``) that the key may use (else 403);
        for an alias, the alias's own spec (see :meth:`serving`)."""
        routing = routing or self.live.current
        target = routing.catalog.aliases().get(model_id, model_id)
        if not routing.router.serves(target):
            raise NotFound(f"The model '{model_id}' does not exist.", param="model", code="model_not_found")
        current().model = model_id
        principal.check_model(model_id)
        return routing.catalog.get(model_id)

    @staticmethod
    def serving(spec: ModelSpec, routing: Routing) -> ModelSpec:
        """The model that serves a request for ``spec``: the one an alias names, else ``spec`` itself."""
        return routing.catalog.get(spec.alias_of) if spec.alias_of is not None else spec

    def default_for(self, endpoint: str, routing: Routing) -> str:
        """The ``default_model`` setting if it serves ``endpoint``, else the first served model that does."""
        router = routing.router
        if router.serves(self.default_model) and endpoint in routing.catalog.get(self.default_model).endpoints:
            return self.default_model
        for model_id in router.served():
            if endpoint in routing.catalog.get(model_id).endpoints:
                return model_id
        return self.default_model

    @staticmethod
    def for_mask(spec: ModelSpec, routing: Routing) -> ModelSpec:
        """The model a masked edit runs on: ``spec`` if it takes masks, else the served ``mask_model`` it names."""
        if spec.mask:
            return spec
        if spec.mask_model is not None and routing.router.serves(spec.mask_model):
            return routing.catalog.get(spec.mask_model)
        hint = f" Serve '{spec.mask_model}' to have masked edits routed to it." if spec.mask_model else ""
        raise InvalidRequest(f"'{spec.id}' can't use a mask.{hint}", param="mask", code="unsupported_parameter")

    async def admit(self, endpoint: str, raw: dict[str, Any], principal: Principal,
                    images: list[Upload] | None = None, mask: Upload | None = None) -> Admitted:
        """The request admitted, or the first OpenAI error about it (see the module's table)."""
        routing = self.live.current
        values = self.fields.coerce(endpoint, raw)
        webhook_url = values.pop("webhook_url", None)
        requested = self.model(values.get("model") or self.default_for(endpoint, routing), principal, routing)
        spec = self.serving(requested, routing)
        if endpoint == "edits" and mask is not None:
            spec = self.for_mask(spec, routing)
        job = normalise(endpoint, values, spec, self.fields.options)  # field errors come before file errors
        if images is not None:
            checked, checked_mask = await check_inputs(endpoint, images, mask, spec, self.max_image_pixels)
            job = replace(job, images=checked, mask=checked_mask)
        routing.router.capable(job)
        current().user = job.user
        return Admitted(job, values, webhook_url, model_headers(requested, spec))
