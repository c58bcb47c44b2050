"""Which request fields each endpoint takes, and how a raw value (JSON or multipart text) is coerced.

Multipart sends every value as text, JSON sends typed values; both go through the same
coercion, and both get the same OpenAI-style errors (``param`` names the field). Fields beyond
OpenAI's (``aspect_ratio``, ``seed``, ...) are known here; whether a model takes them is the
catalog's business (``ModelSpec.options``).
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidRequest, unknown

COMMON = frozenset({"model", "n", "size", "response_format", "user"})
GENERATION_FIELDS = COMMON | {
    "prompt", "quality", "style", "background", "moderation", "output_format", "output_compression",
    "partial_images", "stream", "aspect_ratio", "safety_identifier",
    "seed", "safety_tolerance", "prompt_upsampling", "partial_results",
}
EDIT_FIELDS = (GENERATION_FIELDS - {"style"}) | {"input_fidelity"}
VARIATION_FIELDS = COMMON
ENDPOINT_FIELDS = {"generations": GENERATION_FIELDS, "edits": EDIT_FIELDS, "variations": VARIATION_FIELDS}

SEED_MAX = 2**32 - 1
INT_FIELDS = {"n": (1, 10), "output_compression": (0, 100), "partial_images": (0, 3), "seed": (0, SEED_MAX),
              "safety_tolerance": (0, 6)}
BOOL_FIELDS = frozenset({"stream", "prompt_upsampling", "partial_results"})
ENUM_FIELDS = {
    "response_format": ("url", "b64_json"),
    "background": ("transparent", "opaque", "auto"),
    "moderation": ("low", "auto"),
    "input_fidelity": ("high", "low"),
}


def as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidRequest(f"Invalid type for '{name}': expected an integer.", param=name, code="invalid_type")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
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


def check_range(name: str, value: int, low: int, high: int) -> int:
    if value < low:
        raise InvalidRequest(f"'{name}' must be at least {low}, got {value}.", param=name,
                             code="integer_below_min_value")
    if value > high:
        raise InvalidRequest(f"'{name}' must be at most {high}, got {value}.", param=name,
                             code="integer_above_max_value")
    return value


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        listed = ", ".join(f"'{a}'" for a in allowed)
        raise InvalidRequest(f"Invalid value for '{name}': '{value}'. Supported values are: {listed}.",
                             param=name, code="invalid_value")
    return value


def coerce(endpoint: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Known fields with typed values; ``None`` means "not sent". Unknown fields are a 400."""
    allowed = ENDPOINT_FIELDS[endpoint]
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in allowed:
            raise unknown(name)
        if value is None:
            continue
        if name in INT_FIELDS:
            out[name] = check_range(name, as_int(name, value), *INT_FIELDS[name])
        elif name in BOOL_FIELDS:
            out[name] = as_bool(name, value)
        else:
            out[name] = as_str(name, value)
            if name in ENUM_FIELDS:
                check_choice(name, out[name], ENUM_FIELDS[name])
    return out
