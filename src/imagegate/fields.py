"""The request fields, as one table: which endpoint takes which field, its type and bounds, and how a raw
value (JSON or multipart text) is coerced.

OpenAI's own fields (and the gateway's: ``aspect_ratio``, ``partial_results``) are declared here;
providers declare the extension fields their models add (:attr:`ProviderSpec.fields`), and
:meth:`FieldTable.build` merges them. The table drives the parser, the normaliser's option fields,
the OpenAPI request schemas and ``/v1/models``. Multipart sends every value as text, JSON sends
typed values; both go through the same coercion and get the same OpenAI-style errors (``param``
names the field). Whether a model takes a field is the catalog's business (``ModelSpec.options``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from .errors import InvalidRequest, unknown

Kind = Literal["str", "int", "bool"]
GENERATIONS, EDITS, VARIATIONS = "generations", "edits", "variations"
ENDPOINTS = (GENERATIONS, EDITS, VARIATIONS)
PROMPTED = frozenset({GENERATIONS, EDITS})
ALL = frozenset(ENDPOINTS)
SEED_MAX = 2**32 - 1
INT_DIGITS = 40  # longer digit strings are no field's value (and int() refuses the very long ones)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One request field. ``option``: an optional model feature, passed to the upstream as it is once the
    model's spec lists it in ``options`` (the others are read by the normaliser itself)."""

    name: str
    kind: Kind = "str"
    endpoints: frozenset[str] = PROMPTED
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    option: bool = False
    description: str = ""


def _f(name: str, kind: Kind = "str", endpoints: frozenset[str] = PROMPTED, **more: Any) -> FieldSpec:
    return FieldSpec(name, kind, endpoints, **more)


STANDARD: tuple[FieldSpec, ...] = (
    _f("model", endpoints=ALL, description="Model id; see GET /v1/models."),
    _f("n", "int", ALL, low=1, high=10, description="How many images (fanned out where the model makes fewer "
                                                    "per call)."),
    _f("size", endpoints=ALL, description="WxH from the model's sizes or allowed by its size_rule (or auto); "
                                          "ratio-driven models map it to "
                                          "the nearest aspect ratio."),
    _f("response_format", endpoints=ALL, choices=("url", "b64_json"),
       description="url: an imagegate link valid for IMAGEGATE_URL_TTL seconds. Any model."),
    _f("user", endpoints=ALL, description="An end-user id, passed to upstreams that take one and logged."),
    _f("prompt", description="Up to the model's prompt_max characters (GET /v1/models/{id})."),
    _f("quality", description="One of the model's qualities (GET /v1/models/{id})."),
    _f("style", endpoints=frozenset({GENERATIONS}), description="One of the model's styles."),
    _f("output_format", description="One of the model's output formats."),
    _f("image_size", choices=("512", "1K", "2K", "4K"),
       description="Resolution tier, for models that list resolutions (GET /v1/models/{id}); without it, the tier "
                   "nearest the long edge of size, else the model's default."),
    _f("aspect_ratio", description="W:H. Sized models: mapped to the nearest size (size wins when both are "
                                   "sent); ratio-driven models: one of their aspect ratios.", ),
    _f("stream", "bool", description="Server-sent events: partial images where the model streams them, "
                                     "keep-alives, then one completed event per image."),
    _f("webhook_url", endpoints=ALL, description="Async jobs only (Prefer: respond-async): an https URL called "
                                                 "with the job's final state, signed."),
    _f("partial_results", "bool", description="With n>1: answer with the images that were made even if some "
                                              "calls failed (their errors in 'errors')."),
    _f("seed", "int", low=0, high=SEED_MAX, option=True,
       description="Models that take one: the same seed and prompt make the same image; n>1 uses seed+i for "
                   "image i."),
    _f("negative_prompt", option=True, description="Models that take one: what to keep out of the image."),
    _f("watermark", "bool", option=True,
       description="Models whose upstream can stamp a visible watermark: false (no watermark) unless true is sent."),
    _f("background", choices=("transparent", "opaque", "auto"), option=True),
    _f("moderation", choices=("low", "auto"), option=True),
    _f("output_compression", "int", low=0, high=100, option=True),
    _f("partial_images", "int", low=0, high=3, option=True),
    _f("safety_identifier", option=True),
    _f("input_fidelity", endpoints=frozenset({EDITS}), choices=("high", "low"), option=True),
)


class FieldTable:
    """The merged field table; ``build`` refuses two declarations of one field that disagree."""

    def __init__(self, fields: dict[str, FieldSpec]) -> None:
        self.fields = fields
        self.options = tuple(f.name for f in fields.values() if f.option)
        self._by_endpoint = {e: frozenset(f.name for f in fields.values() if e in f.endpoints) for e in ENDPOINTS}

    @classmethod
    def build(cls, extensions: Iterable[FieldSpec] = ()) -> FieldTable:
        fields = {spec.name: spec for spec in STANDARD}
        for spec in extensions:
            known = fields.setdefault(spec.name, spec)
            if known != spec:
                raise ValueError(f"the request field {spec.name!r} is declared twice, differently")
        return cls(fields)

    def for_endpoint(self, endpoint: str) -> frozenset[str]:
        return self._by_endpoint[endpoint]

    def coerce(self, endpoint: str, raw: dict[str, Any]) -> dict[str, Any]:
        """Known fields with typed values; ``None`` means "not sent". Unknown fields are a 400."""
        allowed = self._by_endpoint[endpoint]
        out: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in allowed:
                raise unknown(name)
            if value is not None:
                out[name] = _coerce(self.fields[name], value)
        return out


def _coerce(spec: FieldSpec, value: Any) -> Any:
    name = spec.name
    if spec.kind == "int":
        return check_range(name, as_int(name, value), spec.low, spec.high)
    if spec.kind == "bool":
        return as_bool(name, value)
    text = as_str(name, value)
    return check_choice(name, text, spec.choices) if spec.choices else text


def as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidRequest(f"Invalid type for '{name}': expected an integer.", param=name, code="invalid_type")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.lstrip("-").isdigit() and len(text) <= INT_DIGITS:
        return int(text)
    raise InvalidRequest(f"Invalid type for '{name}': expected an integer.", param=name, code="invalid_type")


def as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise InvalidRequest(f"Invalid type for '{name}': expected a boolean.", param=name, code="invalid_type")


def as_str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"Invalid type for '{name}': expected a string.", param=name, code="invalid_type")
    return value


def check_range(name: str, value: int, low: int | None, high: int | None) -> int:
    if low is not None and value < low:
        raise InvalidRequest(f"'{name}' must be at least {low}, got {value}.", param=name,
                             code="integer_below_min_value")
    if high is not None and value > high:
        raise InvalidRequest(f"'{name}' must be at most {high}, got {value}.", param=name,
                             code="integer_above_max_value")
    return value


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        listed = ", ".join(f"'{a}'" for a in allowed)
        raise InvalidRequest(f"Invalid value for '{name}': '{value}'. Supported values are: {listed}.",
                             param=name, code="invalid_value")
    return value
