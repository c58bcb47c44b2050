"""What the fake DashScope checks in a request, as Alibaba Cloud Model Studio documents it: its models, their
endpoints, sizes, ``n``, input images and parameters; a refusal is DashScope's ``{request_id, code, message}``."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

FIXED = ("1328*1328", "1664*928", "928*1664", "1472*1104", "1104*1472")
PARAMETERS = {"size", "n", "negative_prompt", "prompt_extend", "watermark", "seed"}
DATA_URI = re.compile(r"^data:image/(png|jpeg|jpg|webp|bmp|tiff|gif);base64,[A-Za-z0-9+/=]+$")


@dataclass(frozen=True)
class QwenModel:
    """One model: ``images`` (min, max) input images, ``n_max`` per call, ``sizes`` it takes (``flexible``: any
    W*H with 512²–2048² pixels and, for edits, edges of 512–2048), the size it makes by default."""

    images: tuple[int, int]
    n_max: int
    default: tuple[int, int]
    sizes: tuple[str, ...] = ()
    flexible: bool = False
    takes: frozenset[str] = field(default_factory=lambda: frozenset(PARAMETERS))
    asynchronous: bool = False


MODELS = {
    "qwen-image-2.0-pro": QwenModel((0, 3), 6, (2048, 2048), flexible=True),
    "qwen-image-2.0": QwenModel((0, 3), 6, (2048, 2048), flexible=True),
    "qwen-image-max": QwenModel((0, 0), 1, (1328, 1328), FIXED),
    "qwen-image-plus": QwenModel((0, 0), 1, (1328, 1328), FIXED, asynchronous=True),
    "qwen-image": QwenModel((0, 0), 1, (1328, 1328), FIXED, asynchronous=True),
    "qwen-image-edit-max": QwenModel((1, 3), 6, (1024, 1024), flexible=True),
    "qwen-image-edit-plus": QwenModel((1, 3), 6, (1024, 1024), flexible=True),
    "qwen-image-edit": QwenModel((1, 3), 1, (1024, 1024), takes=frozenset(PARAMETERS - {"size", "prompt_extend"})),
}


class Refused(Exception):
    """A DashScope error answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"request_id": str(uuid.uuid4()), "code": code, "message": message}


def invalid(message: str) -> Refused:
    return Refused(400, "InvalidParameter", message)


@dataclass
class Parsed:
    model: str
    prompt: str
    images: list[str]
    n: int
    width: int
    height: int
    parameters: dict[str, Any]


def _dims(size: Any, model: QwenModel, edit: bool) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{2,5})\*(\d{2,5})", size) if isinstance(size, str) else None
    if match is None:
        raise invalid(f"The size '{size}' is invalid: use width*height.")
    width, height = int(match[1]), int(match[2])
    if model.sizes and size not in model.sizes:
        raise invalid(f"The size '{size}' is not supported by this model: one of {', '.join(model.sizes)}.")
    if model.flexible and not 512 * 512 <= width * height <= 2048 * 2048:
        raise invalid(f"The size '{size}' is out of range: total pixels must be 512*512 to 2048*2048.")
    if model.flexible and edit and not (512 <= width <= 2048 and 512 <= height <= 2048):
        raise invalid(f"The size '{size}' is out of range: width and height must be 512 to 2048.")
    return width, height


def check_parameters(parameters: Any, model: QwenModel) -> dict[str, Any]:
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise invalid("parameters must be an object.")
    for name in parameters:
        if name not in model.takes:
            raise invalid(f"The parameter {name} is not supported by this model.")
    n = parameters.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= model.n_max:
        raise invalid(f"The parameter n must be 1 to {model.n_max}.")
    seed = parameters.get("seed", 0)
    if not isinstance(seed, int) or not 0 <= seed <= 2147483647:
        raise invalid("The parameter seed must be in [0, 2147483647].")
    for flag in ("prompt_extend", "watermark"):
        if flag in parameters and not isinstance(parameters[flag], bool):
            raise invalid(f"The parameter {flag} must be a boolean.")
    negative = parameters.get("negative_prompt", "")
    if not isinstance(negative, str) or len(negative) > 500:
        raise invalid("The parameter negative_prompt must be a string of at most 500 characters.")
    return parameters


def _prompt(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise Refused(400, "BadRequest.EmptyInput", "Required input parameter missing from request.")
    if len(text) > 800:
        raise invalid("The prompt text is too long: at most 800 characters.")
    return text


def _top(body: Any) -> tuple[str, QwenModel, dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        raise Refused(400, "BadRequest.EmptyModel", 'Required parameter "model" missing from request.')
    if set(body) - {"model", "input", "parameters"}:
        raise invalid(f"Unknown fields: {sorted(set(body) - {'model', 'input', 'parameters'})}.")
    if body["model"] not in MODELS:
        raise Refused(400, "InvalidParameter", "Model not exist.")
    if not isinstance(body.get("input"), dict):
        raise Refused(400, "BadRequest.EmptyInput", "Required input parameter missing from request.")
    return body["model"], MODELS[body["model"]], body["input"]


def parse_sync(body: Any) -> Parsed:
    name, model, given = _top(body)
    messages = given.get("messages")
    if set(given) != {"messages"} or not isinstance(messages, list) or len(messages) != 1 \
            or not isinstance(messages[0], dict) or messages[0].get("role") != "user":
        raise invalid("input.messages must hold one user message.")
    content = messages[0].get("content")
    if not isinstance(content, list) or not all(isinstance(i, dict) and len(i) == 1 for i in content):
        raise invalid("Each content item holds one image or one text.")
    images = [item["image"] for item in content if "image" in item]
    texts = [item["text"] for item in content if "text" in item]
    if len(texts) != 1 or len(images) + 1 != len(content):
        raise invalid("The content must hold exactly one text item, and images.")
    low, high = model.images
    if not low <= len(images) <= high:
        raise invalid(f"The number of input images must be {low} to {high} for {name}.")
    for image in images:
        if not isinstance(image, str) or not (DATA_URI.match(image) or image.startswith(("http://", "https://"))):
            raise invalid("An input image must be a public URL or a base64 data URI.")
    return _parsed(name, model, _prompt(texts[0]), images, body.get("parameters"))


def parse_async(body: Any) -> Parsed:
    name, model, given = _top(body)
    if not model.asynchronous:
        raise Refused(403, "AccessDenied", "Current user api does not support asynchronous calls.")
    if set(given) != {"prompt"}:
        raise invalid("input takes only prompt.")
    return _parsed(name, model, _prompt(given["prompt"]), [], body.get("parameters"))


def _parsed(name: str, model: QwenModel, prompt: str, images: list[str], raw: Any) -> Parsed:
    parameters = check_parameters(raw, model)
    width, height = (1024, 1024) if images else model.default  # an edit: about 1024*1024 at the input's ratio
    if "size" in parameters:
        width, height = _dims(parameters["size"], model, bool(images))
    return Parsed(name, prompt, images, int(parameters.get("n", 1)), width, height, parameters)
