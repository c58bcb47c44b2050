"""The OpenAPI document (``GET /openapi.json``), built once, when it is first asked for.

FastAPI describes the routes; this module completes the description with what FastAPI can't
see, so the document says what the running gateway does:

- the image request bodies, generated from the gateway's field table (:mod:`.request_schemas`);
- no 422 responses: validation errors are answered 400 in OpenAI's error envelope;
- the headers every response carries (``x-request-id``) and the request headers the gateway
  reads, with their rules (``Idempotency-Key``, ``Prefer: respond-async``, ``x-request-id``);
- the image routes' answers: JSON or a stream of server-sent events (200), an async job (202).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ..context import MAX_ID
from ..fields import FieldTable
from ..ledger.idempotency import HEADER as IDEMPOTENCY_KEY
from ..schema import JobAccepted, error_responses
from .request_schemas import body_schemas

_STRING = {"type": "string"}
REQUEST_ID = {"description": "The request's id: the client's x-request-id if it sent a usable one, else a new "
                             "one. Logged with the request.", "required": True, "schema": _STRING}
REQUEST_ID_PARAM = {
    "name": "x-request-id", "in": "header", "required": False,
    "description": f"An id for the request, echoed in the response and logged (printable ASCII, at most {MAX_ID} "
                   "characters; anything else is replaced by a new id).",
    "schema": _STRING,
}
# The rules of the request headers the gateway reads itself (FastAPI sees only their names).
HEADER_RULES: dict[str, dict[str, Any]] = {
    IDEMPOTENCY_KEY: {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"},
    "prefer": {"type": "string", "examples": ["respond-async"]},
}
EVENTS = ("image_generation.partial_image", "image_generation.completed", "image_edit.partial_image",
          "image_edit.completed", "error")
SSE_EVENT = {
    "type": "object",
    "description": "One server-sent event. 'data' is the event's JSON: OpenAI's partial_image and completed "
                   "events (completed ones add width/height), or an error envelope if the request fails "
                   "after the stream has begun. Keep-alive comments come between events.",
    "properties": {"event": {"type": "string", "enum": list(EVENTS)},
                   "data": {"type": "string", "contentMediaType": "application/json"}},
    "required": ["event", "data"],
}
ERROR_SCHEMA = "#/components/schemas/ErrorResponse"
IMAGE_ERRORS = (400, 401, 403, 404, 409, 413, 429, 502, 503, 504)


def image_responses(*, stream: bool) -> dict[int | str, dict[str, Any]]:
    """The answers of an image route: 200 (JSON, or events with ``stream=true``), 202 (an async job) and
    the errors."""
    answer = "The images (application/json)"
    ok: dict[str, Any] = {"description": answer, "headers": {
        "x-imagegate-cost": {"description": "What the request was charged, in USD (JSON answers).",
                             "schema": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"}},
        "idempotent-replayed": {"description": "'true' when this is the stored answer to an earlier request with "
                                               "the same Idempotency-Key.", "schema": {"enum": ["true"]}},
        "x-imagegate-demo": {"description": "'true' when the built-in demo model drew the images.",
                             "schema": {"enum": ["true"]}},
    }}
    if stream:
        ok["description"] = f"{answer}, or with stream=true server-sent events (text/event-stream)."
        ok["content"] = {"text/event-stream": {"schema": SSE_EVENT}}
    accepted = {"model": JobAccepted, "description": "An async job was created (Prefer: respond-async, or the "
                "respond_async setting): poll GET Location.", "headers": {
                    "Location": {"description": "The job: /v1/images/jobs/{id}.", "required": True,
                                 "schema": _STRING},
                    "Preference-Applied": {"description": "respond-async", "schema": {"enum": ["respond-async"]}},
                }}
    return {200: ok, 202: accepted, **error_responses(*IMAGE_ERRORS)}


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for methods in doc.get("paths", {}).values() for op in methods.values()]


def _complete_operation(op: dict[str, Any]) -> None:
    """No 422; every error in OpenAI's JSON envelope, whatever the route's own media type; headers read and
    sent: their rules, and ``x-request-id`` both ways."""
    responses: dict[str, Any] = op.setdefault("responses", {})
    responses.pop("422", None)
    for status, response in responses.items():
        if int(status) >= 400:
            response["content"] = {"application/json": {"schema": {"$ref": ERROR_SCHEMA}}}
        response.setdefault("headers", {})["x-request-id"] = dict(REQUEST_ID)
    parameters: list[dict[str, Any]] = op.setdefault("parameters", [])
    for parameter in parameters:
        rules = HEADER_RULES.get(parameter["name"]) if parameter["in"] == "header" else None
        if rules is not None:
            parameter["schema"] = {**rules, "description": parameter.get("description", "")}
    parameters.append(dict(REQUEST_ID_PARAM))


def complete(doc: dict[str, Any], table: FieldTable) -> dict[str, Any]:
    """FastAPI's document with the request bodies generated from ``table`` and the headers filled in."""
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(body_schemas(table))
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for op in _operations(doc):
        _complete_operation(op)
    return doc


def install(app: FastAPI, table: Callable[[], FieldTable]) -> None:
    """Serve ``app``'s document completed with the field table ``table()`` gives, built on first use."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                              description=app.description, routes=app.routes)
            app.openapi_schema = complete(doc, table())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
