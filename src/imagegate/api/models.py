"""``/v1/models``: the models that a configured channel serves, with what each accepts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from ..catalog import ModelSpec
from ..fields import FieldSpec, FieldTable
from ..schema import ModelList, ModelObject, error_responses
from .deps import AdmissionDep, PrincipalDep, RoutingDep, json_response

router = APIRouter(prefix="/v1/models", tags=["models"])
KINDS = {"str": "string", "int": "integer", "bool": "boolean"}


def _field(spec: FieldSpec, narrowed: tuple[str, ...] | None = None) -> dict[str, Any]:
    """One option field as a client needs it to build a control: type, bounds, choices (as the model narrows
    them), endpoints."""
    described: dict[str, Any] = {"type": KINDS[spec.kind], "endpoints": sorted(spec.endpoints)}
    if spec.low is not None:
        described["minimum"] = spec.low
    if spec.high is not None:
        described["maximum"] = spec.high
    if narrowed or spec.choices:
        described["enum"] = list(narrowed or spec.choices)
    if spec.description:
        described["description"] = spec.description
    return described


def describe(spec: ModelSpec, fields: FieldTable) -> dict[str, Any]:
    narrowed = dict(spec.option_values)
    capabilities = {
        "endpoints": sorted(spec.endpoints),
        "sizes": list(spec.sizes) + (["auto"] if spec.size_auto else []),
        "size_rule": spec.size_rule.describe() if spec.size_rule is not None else None,
        "aspect_ratios": list(spec.aspect_ratios),
        "n_max": spec.n_max,
        "prompt_max": spec.prompt_max,
        "qualities": list(spec.qualities),
        "styles": list(spec.styles),
        "output_formats": list(spec.output_formats),
        "options": sorted(spec.options),
        "option_fields": {name: _field(fields.fields[name], narrowed.get(name)) for name in sorted(spec.options)
                          if name in fields.fields},
        "edit_max_images": spec.edit_max_images,
        "mask": spec.mask,
        "mask_model": spec.mask_model,
        "response_formats": ["url", "b64_json"],
        "default_response_format": spec.default_response_format,
        "resolutions": list(spec.resolutions),
    }
    if spec.alias_of is not None:
        capabilities["alias_of"] = spec.alias_of
    if spec.deprecated is not None:
        capabilities["deprecated"] = spec.deprecated
    return {"id": spec.id, "object": "model", "created": spec.created, "owned_by": spec.owned_by,
            "capabilities": capabilities}


@router.get("", response_model=ModelList, responses=error_responses(401, 503))
async def list_models(routing: RoutingDep, admission: AdmissionDep, principal: PrincipalDep) -> Response:
    """The models this key may use."""
    served = set(routing.router.served())
    listed = sorted(served | {alias for alias, target in routing.catalog.aliases().items() if target in served})
    data = [describe(routing.catalog.get(m), admission.fields) for m in listed
            if principal.models is None or m in principal.models]
    return json_response({"object": "list", "data": data})


@router.get("/{model_id:path}", response_model=ModelObject, responses=error_responses(401, 403, 404, 503))
async def get_model(model_id: str, admission: AdmissionDep, principal: PrincipalDep) -> Response:
    return json_response(describe(admission.model(model_id, principal), admission.fields))
