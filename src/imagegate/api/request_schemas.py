"""The image request bodies of the OpenAPI document, generated from the field table.

Each body is one endpoint's fields (:meth:`FieldTable.for_endpoint`, so provider extensions and
modules loaded by ``provider_modules`` included) with their kinds, bounds, choices and
descriptions, plus the endpoint's files. Unknown fields and parts are refused (400
``unknown_parameter``), so every body has ``additionalProperties: false``. JSON bodies take
``null`` for any optional field (it means "not sent"); multipart sends every value as text, and
the types say how it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..fields import EDITS, GENERATIONS, VARIATIONS, FieldSpec, FieldTable
from .uploads import MAX_IMAGES

JSON, MULTIPART = "application/json", "multipart/form-data"
IMAGE_TYPES = "image/png, image/jpeg, image/webp"
# Fields a request can't do without where the endpoint takes them (normalise answers 400
# missing_required_parameter); the files an endpoint needs are declared with them below.
REQUIRED = ("prompt",)
_TYPES = {"str": "string", "int": "integer", "bool": "boolean"}
_BINARY = {"type": "string", "format": "binary"}
_DATA_URL = {
    "type": "string", "pattern": "^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=.-]+)*;base64,",
    "description": "A base64 data URL ('data:image/png;base64,...'); other URLs are not fetched.",
}
# A transparent 1x1 PNG: the smallest image an edit example can carry.
_PIXEL = ("data:image/png;base64,"
          "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg==")
_PROMPT = "A lighthouse on a cliff at dusk, in watercolour"
# Requests any gateway takes (its default model), for readers and for schemathesis' example cases.
EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "CreateImageRequest": [{"prompt": _PROMPT}, {"prompt": _PROMPT, "stream": True}],
    "CreateImageEditJsonRequest": [{"prompt": "Add a red hat", "images": [{"image_url": _PIXEL}]}],
}
_OPTION = "Passed to the upstream as it is, for models that take it (GET /v1/models/{id}: capabilities.options)."
_IMAGE_REF = {"type": "object", "properties": {"image_url": _DATA_URL}, "required": ["image_url"],
              "additionalProperties": False}


@dataclass(frozen=True, slots=True)
class Body:
    """One request body: its component name, the endpoint whose fields it has, and its media type."""

    name: str
    endpoint: str
    media_type: str


BODIES = {body.name: body for body in (
    Body("CreateImageRequest", GENERATIONS, JSON),
    Body("CreateImageEditRequest", EDITS, MULTIPART),
    Body("CreateImageEditJsonRequest", EDITS, JSON),
    Body("CreateImageVariationRequest", VARIATIONS, MULTIPART),
)}


def field_schema(spec: FieldSpec, nullable: bool = False) -> dict[str, Any]:
    """The JSON schema of one field: its type, bounds, choices and description."""
    kind = _TYPES[spec.kind]
    schema: dict[str, Any] = {"type": [kind, "null"] if nullable else kind}
    if spec.low is not None:
        schema["minimum"] = spec.low
    if spec.high is not None:
        schema["maximum"] = spec.high
    if spec.choices:
        schema["enum"] = [*spec.choices, None] if nullable else list(spec.choices)
    if spec.name in REQUIRED and spec.kind == "str":
        schema["pattern"] = r"\S"  # a blank value is refused like a missing one
    if spec.description or spec.option:
        schema["description"] = spec.description or _OPTION
    return schema


def _images(description: str) -> dict[str, Any]:
    return {"type": "array", "items": _BINARY, "minItems": 1, "maxItems": MAX_IMAGES, "description": description}


def _files(body: Body) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The body's file properties, and the ways (``anyOf``) its required files may be sent."""
    mask = "PNG; transparent pixels mark the area to edit (the first image's size)."
    if body.endpoint == EDITS and body.media_type == JSON:
        images = {"type": "array", "items": _IMAGE_REF, "minItems": 1, "maxItems": MAX_IMAGES,
                  "description": f"1-{MAX_IMAGES} images (png/jpeg/webp; the model's edit_max_images)."}
        return {"images": images, "mask": {**_IMAGE_REF, "type": ["object", "null"], "description": mask}}, \
            [{"required": ["images"]}]
    if body.endpoint == EDITS:
        files = {"image": _images(f"1-{MAX_IMAGES} image parts (png/jpeg/webp; the model's edit_max_images)."),
                 "image[]": _images("The same as image parts (either name, or both)."),
                 "mask": {**_BINARY, "description": mask}}
        return files, [{"required": ["image"]}, {"required": ["image[]"]}]
    if body.endpoint == VARIATIONS:
        return {"image": {**_BINARY, "description": "One image (the model's format and size rules)."}}, \
            [{"required": ["image"]}]
    return {}, []


def body_schema(table: FieldTable, body: Body) -> dict[str, Any]:
    """The JSON schema of ``body``: every field the endpoint takes, then its files."""
    names = table.for_endpoint(body.endpoint)
    nullable = body.media_type == JSON
    properties = {spec.name: field_schema(spec, nullable and spec.name not in REQUIRED)
                  for spec in table.fields.values() if spec.name in names}
    files, ways = _files(body)
    properties.update(files)
    schema: dict[str, Any] = {"title": body.name, "type": "object", "properties": properties,
                              "required": [name for name in REQUIRED if name in properties],
                              "additionalProperties": False}
    if body.name in EXAMPLES:
        schema["examples"] = EXAMPLES[body.name]
    if len(ways) == 1:
        schema["required"] += ways[0]["required"]
    elif ways:
        schema["anyOf"] = ways
    return schema


def body_schemas(table: FieldTable) -> dict[str, dict[str, Any]]:
    """Every image request body by component name."""
    return {name: body_schema(table, body) for name, body in BODIES.items()}


def request_body(*names: str) -> dict[str, Any]:
    """A route's ``openapi_extra``: its request body, one component per media type (:func:`body_schemas`
    fills the components in when the document is built)."""
    content: dict[str, Any] = {}
    for name in names:
        body = BODIES[name]
        media: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{name}"}}
        if body.media_type == MULTIPART:
            encoding = {"image": {"contentType": IMAGE_TYPES}}
            if body.endpoint == EDITS:
                encoding.update({"image[]": {"contentType": IMAGE_TYPES}, "mask": {"contentType": "image/png"}})
            media["encoding"] = encoding
        content[body.media_type] = media
    return {"requestBody": {"required": True, "content": content}}
