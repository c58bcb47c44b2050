"""How the fake Google upstreams read a ``generateContent`` body: Google's checks, Google's error envelope.

Google's JSON parser takes a field by its proto name or its lowerCamel JSON name (``inline_data`` or
``inlineData``) and refuses an unknown one with 400 ``Invalid JSON payload received. Unknown name ...``.
That is how the Gemini API refuses the Vertex-only ``imageConfig`` fields (``imageOutputOptions``,
``personGeneration``, ``prominentPeople``), and how both refuse the SDK-only spellings
``outputMimeType``/``outputCompressionQuality`` (the SDKs move them into ``imageOutputOptions``).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.fakes.gemini_models import INPUT_MIME_TYPES, ImageModel, nearest_ratio

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
REQUEST_FIELDS = {"contents", "generationConfig", "safetySettings", "systemInstruction", "tools", "toolConfig",
                  "cachedContent"}
GENERATION_FIELDS = {"responseModalities", "imageConfig", "temperature", "topP", "topK", "candidateCount",
                     "maxOutputTokens", "seed", "stopSequences", "thinkingConfig", "mediaResolution",
                     "presencePenalty", "frequencyPenalty", "responseMimeType"}
IMAGE_FIELDS = {"aspectRatio", "imageSize"}
VERTEX_IMAGE_FIELDS = {"personGeneration", "prominentPeople", "imageOutputOptions"}
PART_FIELDS = {"text", "inlineData", "fileData", "thought", "thoughtSignature", "mediaResolution"}
MODALITIES = ("TEXT", "IMAGE")
PERSON_GENERATION = {"ALLOW_ALL", "ALLOW_ADULT", "ALLOW_NONE"}
PROMINENT_PEOPLE = {"PROMINENT_PEOPLE_UNSPECIFIED", "ALLOW_PROMINENT_PEOPLE", "BLOCK_PROMINENT_PEOPLE"}
OUTPUT_MIME_TYPES = {"image/png", "image/jpeg"}


def error_body(code: int, message: str, details: list[dict[str, Any]] | None = None,
               status: str | None = None) -> dict[str, Any]:
    """Google's error envelope: ``{"error": {"code", "message", "status"[, "details"]}}``."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status or STATUS.get(code, "UNKNOWN")}
    if details:
        error["details"] = details
    return {"error": error}


class GoogleError(Exception):
    """An error answer: HTTP ``code`` with Google's envelope around ``message`` (and ``details``)."""

    def __init__(self, code: int, message: str, details: list[dict[str, Any]] | None = None,
                 status: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details, self.status = code, message, details, status

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details, self.status)


def bad_request(message: str, field_path: str = "") -> GoogleError:
    """400 INVALID_ARGUMENT, with a ``google.rpc.BadRequest`` field violation when a field is named."""
    details = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field_path, "description": message}]}] if field_path else None
    return GoogleError(400, message, details)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def fields(obj: Any, allowed: set[str], path: str) -> dict[str, Any]:
    """``obj``'s fields under their lowerCamel names; 400 for a non-object or an unknown field."""
    if not isinstance(obj, dict):
        raise bad_request(f"Invalid JSON payload received. Expected an object at '{path}'.", path)
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = camel(key)
        if name not in allowed:
            where = path or "(root)"
            raise bad_request(f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': "
                              "Cannot find field.", path)
        out[name] = value
    return out


@dataclass
class ImageInput:
    mime_type: str
    data: bytes | None  # None for a fileData reference
    size: tuple[int, int] | None = None


@dataclass
class Parsed:
    """What the fake needs from a valid request."""

    texts: list[str] = field(default_factory=list)
    images: list[ImageInput] = field(default_factory=list)
    modalities: tuple[str, ...] = MODALITIES
    ratio: str | None = None
    size: str | None = None
    output_mime: str = "image/png"
    quality: int | None = None
    candidates: int = 1


def parse(body: Any, model: ImageModel, *, vertex: bool) -> Parsed:
    """Check ``body`` as the Gemini API (``vertex=False``) or Vertex AI would; 400 ``GoogleError`` if not."""
    request = fields(body, REQUEST_FIELDS, "")
    parsed = Parsed()
    contents = request.get("contents")
    if not isinstance(contents, list) or not contents:
        raise bad_request("* GenerateContentRequest.contents: contents is not specified", "contents")
    for i, content in enumerate(contents):
        _content(content, f"contents[{i}]", parsed, vertex=vertex)
    if len(parsed.images) > model.max_input_images:
        raise bad_request(f"Too many input images: {len(parsed.images)}; {model.id} accepts at most "
                          f"{model.max_input_images} images per request.", "contents")
    config = fields(request.get("generationConfig", {}), GENERATION_FIELDS, "generation_config")
    _generation(config, model, parsed, vertex=vertex)
    if parsed.ratio is None:  # Google: the input image's shape, else square
        sized = [img.size for img in parsed.images if img.size]
        parsed.ratio = nearest_ratio(model, *sized[0]) if sized else "1:1"
    return parsed


def _content(content: Any, path: str, parsed: Parsed, *, vertex: bool) -> None:
    entry = fields(content, {"role", "parts"}, path)
    role = entry.get("role")
    if (role is None and vertex) or (role is not None and role not in ("user", "model")):
        raise bad_request("Please use a valid role: user, model.", f"{path}.role")
    parts = entry.get("parts")
    if not isinstance(parts, list) or not parts:
        raise bad_request(f"* GenerateContentRequest.{path}.parts: contents.parts must not be empty.", path)
    for j, part in enumerate(parts):
        _part(part, f"{path}.parts[{j}]", parsed, user=role != "model")


def _part(part: Any, path: str, parsed: Parsed, *, user: bool) -> None:
    entry = fields(part, PART_FIELDS, path)
    data = [name for name in ("text", "inlineData", "fileData") if name in entry]
    if len(data) != 1:
        raise bad_request(f"* GenerateContentRequest.{path}.data: required oneof field 'data' must have one "
                          "initialized field", path)
    if "text" in entry:
        if not isinstance(entry["text"], str):
            raise bad_request(f"Invalid value at '{path}.text' (TYPE_STRING)", f"{path}.text")
        if user:
            parsed.texts.append(entry["text"])
    elif "inlineData" in entry:
        inline = fields(entry["inlineData"], {"mimeType", "data", "displayName"}, f"{path}.inline_data")
        image = _inline(inline, f"{path}.inline_data")
        if user:
            parsed.images.append(image)
    else:
        ref = fields(entry["fileData"], {"mimeType", "fileUri", "displayName"}, f"{path}.file_data")
        if not isinstance(ref.get("fileUri"), str) or not ref["fileUri"]:
            raise bad_request("file_data.file_uri is required.", f"{path}.file_data.file_uri")
        if str(ref.get("mimeType", "")).startswith("image/") and user:
            parsed.images.append(ImageInput(str(ref["mimeType"]), None))


def _inline(inline: dict[str, Any], path: str) -> ImageInput:
    mime = inline.get("mimeType")
    if not isinstance(mime, str) or not mime:
        raise bad_request(f"* GenerateContentRequest.{path}.mime_type: mime_type is required.", f"{path}.mime_type")
    if mime not in INPUT_MIME_TYPES:
        raise bad_request(f"Unsupported MIME type: {mime}", f"{path}.mime_type")
    raw = inline.get("data")
    try:
        if not isinstance(raw, str) or not raw:
            raise ValueError
        data = base64.b64decode(raw.replace("-", "+").replace("_", "/") + "=" * (-len(raw) % 4), validate=True)
    except (ValueError, binascii.Error):
        shown = raw[:20] if isinstance(raw, str) else raw
        raise bad_request(f"Invalid value at '{path}.data' (TYPE_BYTES), Base64 decoding failed for "
                          f"\"{shown}\"", f"{path}.data") from None
    if mime in ("image/heic", "image/heif"):
        return ImageInput(mime, data)
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return ImageInput(mime, data, img.size)
    except (UnidentifiedImageError, OSError, ValueError):
        raise bad_request("Unable to process input image. Please retry or report in "
                          "https://developers.generativeai.google/guide/troubleshooting", f"{path}.data") from None


def _generation(config: dict[str, Any], model: ImageModel, parsed: Parsed, *, vertex: bool) -> None:
    modalities = config.get("responseModalities")
    if modalities is not None:
        if not isinstance(modalities, list) or not modalities:
            raise bad_request("response_modalities must be a non-empty list.", "generation_config.response_modalities")
        for i, value in enumerate(modalities):
            if value not in MODALITIES:
                proto = "google.cloud.aiplatform.v1" if vertex else "google.ai.generativelanguage.v1beta"
                raise bad_request(f"Invalid value at 'generation_config.response_modalities[{i}]' "
                                  f"(type.googleapis.com/{proto}.GenerationConfig.Modality), \"{value}\"",
                                  f"generation_config.response_modalities[{i}]")
        parsed.modalities = tuple(dict.fromkeys(modalities))
    count = config.get("candidateCount", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= model.max_candidates:
        raise bad_request(f"Multiple candidates is not enabled for models/{model.id}",
                          "generation_config.candidate_count")
    parsed.candidates = count
    allowed = IMAGE_FIELDS | (VERTEX_IMAGE_FIELDS if vertex else set())
    image = fields(config.get("imageConfig", {}), allowed, "generation_config.image_config")
    ratio = image.get("aspectRatio")
    if ratio is not None:
        if ratio not in model.ratios:
            raise bad_request(f"Unsupported aspect ratio \"{ratio}\" for {model.id}; supported: "
                              f"{', '.join(model.ratios)}.", "generation_config.image_config.aspect_ratio")
        parsed.ratio = ratio
    size = image.get("imageSize")
    if size is not None:
        if not model.sizes:
            raise bad_request(f"image_size is not supported for {model.id}.",
                              "generation_config.image_config.image_size")
        if size not in model.sizes:
            raise bad_request(f"Unsupported image size \"{size}\" for {model.id}; supported: "
                              f"{', '.join(model.sizes)} (uppercase K).", "generation_config.image_config.image_size")
        parsed.size = size
    if vertex:
        _vertex_image(image, parsed)


def _vertex_image(image: dict[str, Any], parsed: Parsed) -> None:
    path = "generation_config.image_config"
    if image.get("personGeneration", "ALLOW_ALL") not in PERSON_GENERATION:
        raise bad_request(f"Invalid value at '{path}.person_generation'", f"{path}.person_generation")
    if image.get("prominentPeople", "PROMINENT_PEOPLE_UNSPECIFIED") not in PROMINENT_PEOPLE:
        raise bad_request(f"Invalid value at '{path}.prominent_people'", f"{path}.prominent_people")
    if "imageOutputOptions" not in image:
        return
    options = fields(image["imageOutputOptions"], {"mimeType", "compressionQuality"}, f"{path}.image_output_options")
    mime = options.get("mimeType", "image/png")
    if mime not in OUTPUT_MIME_TYPES:
        raise bad_request(f"Unsupported output MIME type: {mime}", f"{path}.image_output_options.mime_type")
    quality = options.get("compressionQuality")
    if quality is not None and (not isinstance(quality, int) or isinstance(quality, bool) or not 0 <= quality <= 100):
        raise bad_request("compression_quality must be between 0 and 100.",
                          f"{path}.image_output_options.compression_quality")
    parsed.output_mime, parsed.quality = mime, quality
