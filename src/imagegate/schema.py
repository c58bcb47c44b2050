"""Pydantic models of the wire format, for the OpenAPI document and for tests.

Requests are parsed by :mod:`imagegate.fields` (one path for JSON and multipart, with
OpenAI-style errors); these models describe the same fields truthfully.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Quality = Literal["standard", "hd", "low", "medium", "high", "auto"]
OutputFormat = Literal["png", "jpeg", "webp"]


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(None, description="Model id; see GET /v1/models.")
    n: int | None = Field(None, ge=1, le=10, description="Images to make (dall-e-3 fans out n>1).")
    size: str | None = Field(None, description="WxH from the model's sizes, or auto (GPT image models).")
    response_format: Literal["url", "b64_json"] | None = Field(
        None, description="url: an imagegate link valid for IMAGEGATE_URL_TTL seconds. Any model."
    )
    user: str | None = None


class _Prompted(_Common):
    prompt: str = Field(..., description="Max length per model: GPT 32000, dall-e-2 1000, dall-e-3 4000.")
    quality: Quality | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    moderation: Literal["low", "auto"] | None = None
    output_format: OutputFormat | None = None
    output_compression: int | None = Field(None, ge=0, le=100)
    partial_images: int | None = Field(None, ge=0, le=3)
    stream: bool | None = None
    safety_identifier: str | None = None
    aspect_ratio: str | None = Field(None, description="W:H, mapped to the nearest supported size; size wins.",
                                     examples=["16:9"])


class CreateImageRequest(_Prompted):
    style: Literal["vivid", "natural"] | None = None


class CreateImageEditRequest(_Prompted):
    image: list[bytes] = Field(..., description="1-16 images (png/jpeg/webp); also sent as image[] parts.")
    mask: bytes | None = Field(None, description="PNG; transparent pixels mark the area to edit.")
    input_fidelity: Literal["high", "low"] | None = None


class CreateImageEditJsonRequest(_Prompted):
    images: list[dict[str, str]] = Field(..., min_length=1, max_length=16,
                                         description='1-16 of {"image_url": "data:image/png;base64,..."}.')
    mask: dict[str, str] | None = Field(None, description='{"image_url": "data:image/png;base64,..."}')
    input_fidelity: Literal["high", "low"] | None = None


class CreateImageVariationRequest(_Common):
    image: bytes = Field(..., description="A square PNG under 4 MB.")


class InputTokensDetails(BaseModel):
    text_tokens: int
    image_tokens: int


class ImagesUsage(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: InputTokensDetails
    images: int | None = Field(None, description="imagegate: images produced.")
    cost_usd: float | None = Field(None, description="imagegate: what this request was charged, in USD "
                                   "(also in the x-imagegate-cost header).")


class Image(BaseModel):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


class ImagesResponse(BaseModel):
    created: int
    data: list[Image]
    background: Literal["transparent", "opaque"] | None = None
    output_format: OutputFormat | None = None
    size: Literal["1024x1024", "1024x1536", "1536x1024"] | None = None
    quality: Literal["low", "medium", "high"] | None = None
    usage: ImagesUsage | None = None


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ModelObject(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    capabilities: dict[str, Any] | None = Field(None, description="imagegate: what the model accepts.")


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelObject]


def request_body(*bodies: tuple[type[BaseModel], str]) -> dict[str, Any]:
    """An ``openapi_extra`` request body (one schema per media type) for routes that parse their own body."""
    content = {media_type: {"schema": model.model_json_schema()} for model, media_type in bodies}
    return {"requestBody": {"required": True, "content": content}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse} for status in statuses}


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
