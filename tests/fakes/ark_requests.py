"""What the fake Ark checks in an ``images/generations`` body, as Ark documents it, and its error bodies.

Models by their Volcengine (``doubao-seedream-…``) and BytePlus (``seedream-…``) ids; ``size`` is a tier the model
lists or ``WxH`` within its pixel range and a ratio of at most 16; ``image`` is a data URI or URL, or a list of them,
up to the model's reference-image count; ``seed`` is refused (Seedream 4.0+ has none); ``output_format`` is 5.0
lite's alone. Unknown fields are refused, so a test proves the gateway sends only what Ark takes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

FIELDS = frozenset({"model", "prompt", "image", "size", "seed", "sequential_image_generation",
                    "sequential_image_generation_options", "stream", "response_format", "watermark",
                    "optimize_prompt_options", "output_format"})
SIZE = re.compile(r"^([1-9][0-9]{1,4})x([1-9][0-9]{1,4})$")
DATA_URI = re.compile(r"^data:image/(png|jpeg|webp|bmp|tiff|gif);base64,(.+)$", re.S)
TIER_PIXELS = {"1K": 1024 * 1024, "2K": 2048 * 2048, "3K": 3072 * 3072, "4K": 4096 * 4096}


@dataclass(frozen=True)
class Seedream:
    tiers: tuple[str, ...]
    min_pixels: int
    max_pixels: int
    max_references: int
    output_format: bool = False


SEEDREAM_4_0 = Seedream(("1K", "2K", "4K"), 1280 * 720, 4096 * 4096, 10)
SEEDREAM_4_5 = Seedream(("2K", "4K"), 2560 * 1440, 4096 * 4096, 14)
SEEDREAM_5_0 = Seedream(("2K", "3K"), 2560 * 1440, 3072 * 3072, 14, output_format=True)
MODELS = {"doubao-seedream-4-0-250828": SEEDREAM_4_0, "seedream-4-0-250828": SEEDREAM_4_0,
          "doubao-seedream-4-5-251128": SEEDREAM_4_5, "seedream-4-5-251128": SEEDREAM_4_5,
          "doubao-seedream-5-0-260128": SEEDREAM_5_0, "seedream-5-0-260128": SEEDREAM_5_0}


class ArkError(Exception):
    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.param, self.status)


TYPES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 429: "TooManyRequests",
         500: "InternalServerError", 503: "ServiceUnavailable"}


def error_body(code: str, message: str, param: str | None = None, status: int = 400) -> dict[str, Any]:
    request = "Request id: 0217574695481350fa6ef8c2347680bd87fd8d357bb16f114b01e"
    return {"error": {"code": code, "message": f"{message} {request}", "param": param or "",
                      "type": TYPES.get(status, "BadRequest")}}


def invalid(param: str, why: str) -> ArkError:
    return ArkError(400, "InvalidParameter", f"The parameter `{param}` specified in the request is not valid: {why}.",
                    param)


def pixels(size: str | None, model: Seedream) -> tuple[int, int]:
    """The output's width and height; ``size`` checked as Ark checks it (default 2048x2048)."""
    if size is None:
        return 2048, 2048
    if size in model.tiers:
        edge = int(TIER_PIXELS[size] ** 0.5)
        return edge, edge
    match = SIZE.match(size) if isinstance(size, str) else None
    if match is None:
        raise invalid("size", f"{size!r} is neither one of {', '.join(model.tiers)} nor WxH")
    width, height = int(match[1]), int(match[2])
    if not model.min_pixels <= width * height <= model.max_pixels:
        raise invalid("size", f"total pixels must be within [{model.min_pixels}, {model.max_pixels}]")
    if max(width, height) > 16 * min(width, height):
        raise invalid("size", "aspect ratio must be within [1/16, 16]")
    return width, height


def _references(value: Any, model: Seedream) -> list[bytes]:
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > model.max_references:
        raise invalid("image", f"at most {model.max_references} reference images")
    decoded = []
    for item in items:
        match = DATA_URI.match(item) if isinstance(item, str) else None
        if match is None:
            raise invalid("image", "each image must be a URL or a data:image/<format>;base64 URI")
        try:
            decoded.append(base64.b64decode(match[2], validate=True))
        except binascii.Error:
            raise invalid("image", "bad base64") from None
    return decoded


def check(body: Any) -> tuple[Seedream, tuple[int, int], list[bytes]]:
    """The model, output size and reference images of a valid body; raises :class:`ArkError` otherwise."""
    if not isinstance(body, dict):
        raise ArkError(400, "InvalidParameter", "The request body is not a JSON object.")
    if unknown := sorted(set(body) - FIELDS):
        raise invalid(unknown[0], "unknown field")
    for name in ("model", "prompt"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise ArkError(400, "MissingParameter", f"The request failed because it is missing `{name}`.", name)
    model = MODELS.get(body["model"])
    if model is None:
        raise ArkError(404, "InvalidEndpointOrModel.NotFound",
                       f"The model or endpoint {body['model']} does not exist or you do not have access to it.")
    if "seed" in body:
        raise invalid("seed", "not supported by this model")
    if "output_format" in body and (not model.output_format or body["output_format"] not in ("png", "jpeg")):
        raise invalid("output_format", "not supported by this model")
    if body.get("response_format", "url") not in ("url", "b64_json"):
        raise invalid("response_format", "must be url or b64_json")
    if not isinstance(body.get("watermark", True), bool):
        raise invalid("watermark", "must be a boolean")
    if body.get("sequential_image_generation", "disabled") not in ("auto", "disabled"):
        raise invalid("sequential_image_generation", "must be auto or disabled")
    references = _references(body["image"], model) if "image" in body else []
    return model, pixels(body.get("size"), model), references
