"""Normalise a request against its model's spec: fill defaults, map what can be mapped, reject the rest.

The result is an :class:`ImageJob`: everything a provider needs, already validated. A field
the model can't honour is a 400 naming it; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .catalog import ModelSpec
from .errors import InvalidRequest, missing
from .fields import check_choice
from .job import ImageJob
from .sizing import nearest_ratio, nearest_size, parse_ratio, parse_size


def _unsupported(name: str, spec: ModelSpec) -> InvalidRequest:
    return InvalidRequest(f"'{name}' is not supported by the model '{spec.id}'.", param=name,
                          code="unsupported_parameter")


def _prompt(endpoint: str, values: dict[str, Any], spec: ModelSpec) -> str | None:
    if endpoint == "variations":
        return None
    prompt = values.get("prompt")
    if not prompt or not prompt.strip():
        raise missing("prompt")
    if len(prompt) > spec.prompt_max:
        raise InvalidRequest(
            f"'prompt' is too long for '{spec.id}': {len(prompt)} characters, at most {spec.prompt_max}.",
            param="prompt", code="string_above_max_length")
    return str(prompt)


def _ratio_only(values: dict[str, Any], spec: ModelSpec) -> str | None:
    """For ratio-driven models: one of ``spec.aspect_ratios`` (it wins over ``size``), the one
    nearest a ``WxH`` size, or ``None`` (upstream default) for ``size=auto`` or neither."""
    size = values.get("size")
    dims = parse_size(size) if size is not None else None
    if size is not None and size != "auto" and dims is None:
        raise InvalidRequest(f"Invalid size '{size}' for '{spec.id}'. Use 'WxH' (mapped to the nearest aspect "
                             "ratio) or 'auto'.", param="size", code="invalid_size")
    if "aspect_ratio" in values and not (spec.size_wins and dims is not None):
        return check_choice("aspect_ratio", values["aspect_ratio"], spec.aspect_ratios)
    return nearest_ratio(*dims, spec.aspect_ratios) if dims is not None else None


TIER_EDGES = {"512": 512, "1K": 1024, "2K": 2048, "4K": 4096}


def _resolution(values: dict[str, Any], spec: ModelSpec) -> str | None:
    """The resolution tier: ``image_size`` as sent, else the smallest tier whose edge (512 px, 1K = 1024, 2K = 2048,
    4K = 4096) reaches the long edge of a ``WxH`` size (the largest if none does), else the model's default.
    ``None`` for models without tiers (``image_size`` is then a 400)."""
    if not spec.resolutions:
        if "image_size" in values:
            raise _unsupported("image_size", spec)
        return None
    if "image_size" in values:
        return check_choice("image_size", values["image_size"], spec.resolutions)
    dims = parse_size(values["size"]) if values.get("size") not in (None, "auto") else None
    if dims is None:
        return spec.default_resolution
    tiers = sorted(spec.resolutions, key=lambda tier: TIER_EDGES.get(tier, 0))
    return next((tier for tier in tiers if TIER_EDGES.get(tier, 0) >= max(dims)), tiers[-1])


def _size(values: dict[str, Any], spec: ModelSpec) -> tuple[str | None, str | None]:
    """The upstream size (``None`` = upstream default) and the requested aspect ratio."""
    if spec.aspect_ratios:
        return None, _ratio_only(values, spec)
    ratio_text = values.get("aspect_ratio")
    ratio = None
    if ratio_text is not None:
        ratio = parse_ratio(ratio_text)
        if ratio is None:
            raise InvalidRequest(f"Invalid value for 'aspect_ratio': '{ratio_text}'. Use 'W:H', e.g. '16:9'.",
                                 param="aspect_ratio", code="invalid_value")
        if not spec.sizes and spec.size_rule is None:
            raise _unsupported("aspect_ratio", spec)
    size = values.get("size")
    if size is not None:
        if size == "auto" and spec.size_auto:
            return "auto", ratio_text
        if size not in spec.sizes:
            _check_flexible(size, spec)
        return size, ratio_text
    if ratio is not None:
        if spec.size_rule is not None:
            return spec.size_rule.for_ratio(ratio), ratio_text
        return nearest_size(ratio, spec.sizes), ratio_text
    return spec.default_size, None


def _check_flexible(size: str, spec: ModelSpec) -> None:
    """A ``size`` not in the model's list: fine if its size rule allows it, else a 400 saying what is allowed."""
    dims = parse_size(size)
    rule = spec.size_rule
    if rule is not None and dims is not None:
        reason = rule.refusal(*dims)
        if reason is None:
            return
        raise InvalidRequest(f"Invalid size '{size}' for '{spec.id}': {reason}.", param="size", code="invalid_size")
    listed = spec.sizes + (("auto",) if spec.size_auto else ())
    allowed = ", ".join(listed) + (" or any WxH its size rule allows (GET /v1/models/{id})" if rule else "")
    hint = "" if dims else " Use 'WxH'."
    raise InvalidRequest(f"Invalid size '{size}' for '{spec.id}'. Supported: {allowed}.{hint}",
                         param="size", code="invalid_size")


def _quality(values: dict[str, Any], spec: ModelSpec) -> str | None:
    quality = values.get("quality")
    if quality is None:
        return None
    quality = dict(spec.quality_aliases).get(quality, quality)
    check_choice("quality", quality, spec.qualities)
    return None if quality == "auto" and spec.upstream_response_format else quality


def _options(values: dict[str, Any], spec: ModelSpec, option_fields: Iterable[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name in option_fields:
        if name in values:
            if name not in spec.options:
                raise _unsupported(name, spec)
            narrowed = dict(spec.option_values).get(name)
            options[name] = check_choice(name, values[name], narrowed) if narrowed else values[name]
    if "style" in values:
        if not spec.styles:
            raise _unsupported("style", spec)
        options["style"] = check_choice("style", values["style"], spec.styles)
    if "output_format" in values:
        if not spec.output_formats:
            raise _unsupported("output_format", spec)
        options["output_format"] = check_choice("output_format", values["output_format"], spec.output_formats)
    if options.get("background") == "transparent" and options.get("output_format") == "jpeg":
        raise InvalidRequest("A transparent background needs output_format 'png' or 'webp'.",
                             param="background", code="invalid_value")
    return options


def _response_format(values: dict[str, Any], spec: ModelSpec) -> str:
    """As asked, else the model's default; a stream carries images as base64, so it can't take ``url``."""
    if not values.get("stream"):
        return str(values.get("response_format", spec.default_response_format))
    if values.get("response_format", "b64_json") != "b64_json":
        raise InvalidRequest("stream=true sends images as b64_json in its events; leave out response_format "
                             "or send 'b64_json'.", param="response_format", code="invalid_value")
    return "b64_json"


def normalise(endpoint: str, values: dict[str, Any], spec: ModelSpec, option_fields: Iterable[str]) -> ImageJob:
    """Turn coerced request values into a job for ``spec`` (admission adds the checked input images), or raise
    a 400 naming the field. ``option_fields`` are the field table's options (passed through once the model
    lists them)."""
    if endpoint not in spec.endpoints:
        raise InvalidRequest(f"The model '{spec.id}' does not support /v1/images/{endpoint}.", param="model",
                             code="unsupported_model")
    n = values.get("n", 1)
    if n > spec.n_max:
        raise InvalidRequest(f"'n' must be at most {spec.n_max} for '{spec.id}', got {n}.", param="n",
                             code="integer_above_max_value")
    size, aspect_ratio = _size(values, spec)
    return ImageJob(
        endpoint=endpoint,
        spec=spec,
        n=n,
        response_format=_response_format(values, spec),
        prompt=_prompt(endpoint, values, spec),
        size=size,
        quality=_quality(values, spec),
        aspect_ratio=aspect_ratio,
        resolution=_resolution(values, spec),
        user=values.get("user"),
        options=_options(values, spec, option_fields),
        partial_results=values.get("partial_results", False),
        stream=values.get("stream", False),
    )
