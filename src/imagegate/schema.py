"""Pydantic models of the wire format: the responses of every route and the admin API's shapes, for the
OpenAPI document and for tests.

The image request bodies are not here: they are generated from the field table when the document is
built (:mod:`imagegate.api.openapi`), so they list exactly what the running gateway accepts.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OutputFormat = Literal["png", "jpeg", "webp"]
JobStatus = Literal["queued", "in_progress", "succeeded", "failed", "canceled"]


class InputTokensDetails(BaseModel):
    text_tokens: int
    image_tokens: int


class ImagesUsage(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: InputTokensDetails
    images: int = Field(description="imagegate: images produced.")
    cost_usd: float = Field(description="imagegate: what this request was charged, in USD (also in the "
                                        "x-imagegate-cost header).")


class Image(BaseModel):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None
    width: int | None = Field(None, description="imagegate: the image's width in pixels, for models that report "
                                                "pixels rather than one of OpenAI's sizes.")
    height: int | None = Field(None, description="imagegate: the image's height in pixels (see width).")


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = Field(description="The request field, header or part the error is about, if any.")
    code: str | None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ImagesResponse(BaseModel):
    created: int
    data: list[Image]
    background: Literal["transparent", "opaque"] | None = None
    output_format: OutputFormat | None = None
    size: Literal["1024x1024", "1024x1536", "1536x1024"] | None = None
    quality: Literal["low", "medium", "high"] | None = None
    usage: ImagesUsage | None = None
    aspect_ratio: str | None = Field(None, description="imagegate: the aspect ratio the upstream was asked for "
                                                       "(W:H), for models driven by ratios.")
    errors: list[ErrorDetail] | None = Field(None, description="imagegate: with partial_results, the errors of "
                                                               "the calls that failed.")
    demo: bool | None = Field(None, description="imagegate: true when the built-in demo model drew the images "
                                                "(placeholders, priced 0).")


class JobAccepted(BaseModel):
    """imagegate: an async job was created (``Prefer: respond-async``); poll the ``Location`` it names."""

    id: str
    object: Literal["image.job"] = "image.job"
    status: JobStatus
    created: int


class ImageJob(JobAccepted):
    """imagegate: an async job, with its result once it has succeeded or its error once it has failed."""

    model: str
    expires_at: int = Field(description="When the job and its result are deleted (Unix time).")
    progress: float | None = Field(None, description="0 to 1, where the upstream reports progress.")
    finished_at: int | None = None
    result: ImagesResponse | None = Field(None, description="The images (status succeeded).")
    error: ErrorDetail | None = Field(None, description="Why the job failed (status failed).")


class ModelObject(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    capabilities: dict[str, Any] | None = Field(None, description="imagegate: what the model accepts.")


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelObject]


class HealthStatus(BaseModel):
    status: Literal["ok"]
    shared_state: Literal["local", "shared", "degraded"]


class ReadyCheck(BaseModel):
    status: Literal["ok", "degraded", "down"]
    detail: str | None = None


class ReadyStatus(BaseModel):
    """imagegate: ``/readyz``; ``checks`` names each readiness check (``database``, ``storage``, ``draining``,
    ``redis`` when configured)."""

    status: Literal["ready", "degraded", "draining", "not_ready"]
    checks: dict[str, ReadyCheck]


class ChannelObject(BaseModel):
    """imagegate admin: a channel's configuration and its current health."""

    model_config = ConfigDict(extra="allow")

    name: str
    provider: str
    base_url: str
    models: list[str]
    priority: int
    weight: int
    max_concurrency: int | None
    timeout: float
    state: Literal["healthy", "cooling", "probing", "disabled"]
    reason: str | None
    cooldown_remaining: float
    in_flight: int
    recent: dict[str, Any] = Field(description="Recent calls: requests, error_rate and latency_ms (p50, p95).")


class ChannelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ChannelObject]


class Reloaded(BaseModel):
    reloaded: Literal[True]
    channels: list[str]
    models: list[str]


class KeyObject(BaseModel):
    """imagegate admin: a client key (never the key itself) with its limits and spend."""

    id: int
    object: Literal["api_key"] = "api_key"
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    status: Literal["active", "revoked", "expired"]
    created_at: int
    revoked_at: int | None
    expires_at: int | None
    models: list[str] | None = Field(description="The only models the key may use; null: all.")
    rpm: int | None
    budget_usd: float | None
    budget_period: Literal["day", "week", "month", "total"] | None
    spent_usd: float = Field(description="Spent in the current budget period (0 without a budget).")
    reserved_usd: float = Field(description="Held by requests in flight.")
    spent_total_usd: float = Field(description="Spent over the key's life.")
    requests: int


class KeyCreated(KeyObject):
    key: str = Field(description="The key itself: shown this once, stored only as a hash.")


class KeyList(BaseModel):
    object: Literal["list"] = "list"
    data: list[KeyObject]


class UsageLine(BaseModel):
    group: str = Field(description="The model, key name or UTC day; 'total' in the total line.")
    requests: int
    failed: int
    images: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    upstream_cost_usd: float = Field(description="What upstreams that report a cost said they charged.")


class BudgetState(BaseModel):
    budget_usd: float
    budget_period: Literal["day", "week", "month", "total"]
    spent_usd: float
    reserved_usd: float


class UsageReport(BaseModel):
    object: Literal["usage_report"] = "usage_report"
    by: Literal["model", "key", "day"]
    since: int | None
    key: str | None = Field(description="The key the report is limited to (name), if any.")
    data: list[UsageLine]
    total: UsageLine
    budget: BudgetState | None = Field(None, description="/v1/usage: the caller's budget, if it has one.")


ERROR_STATUSES: dict[int, str] = {
    400: "Invalid request: a field, header, part or query parameter is wrong or unknown (param names it). "
         "Validation errors are 400 too, never 422.",
    401: "No valid API key (code invalid_api_key).",
    403: "The key may not do this: model_not_allowed, master_key_required, or an invalid signed link.",
    404: "Not found: the model, job, key, channel or file (code says which).",
    409: "Conflict: an Idempotency-Key reused with another body or still in use, or a key name taken.",
    410: "The signed link has expired.",
    416: "The Range header is malformed or starts past the end of the file (Content-Range gives its size).",
    413: "Too large: the body, a file or a field (param names the part).",
    429: "Rate limited (the key's rpm, or every upstream) or the key's budget is spent (insufficient_quota).",
    502: "The upstream failed or refused the request.",
    503: "No channel can serve the model now, or the database, rate limiter or result storage is unavailable.",
    504: "The upstream took too long, or the request's deadline passed.",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying, when known.",
                               "schema": {"type": "string"}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route for the error statuses it can answer, each an :class:`ErrorResponse`."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"model": ErrorResponse, "description": ERROR_STATUSES[status]}
        if status in (429, 503):
            out[status]["headers"] = RETRY_AFTER
    return out
