"""Pure translation between an image call and Recraft's API (OpenAI-shaped, with Recraft's own fields).

Generations are JSON to ``/images/generations``: ``size`` is one of the model's listed ``WxH``, ``style``,
``substyle`` and ``negative_prompt`` go as they are. Edits are multipart: an edit without a mask is
``/images/imageToImage`` (with ``strength`` 0.5, Recraft's middle setting), a masked edit ``/images/inpaint``
(OpenAI's mask, transparent = edit here, becomes Recraft's grayscale mask, white = edit here). Results are
links (kept by Recraft about 24 hours), fetched at once; ``credits`` (API units, 1,000 to the dollar) is the
upstream's cost.
"""

from __future__ import annotations

from typing import Any

from ...errors import InvalidRequest, UpstreamError
from ...job import ImageJob
from ..base import Call, UpstreamResult
from ..openai.params import as_form, parse_response
from ..spec import Param, ParamTable

UNITS_PER_USD = 1000
STRENGTH = "0.5"
PATHS = {"generations": "/images/generations", "image_to_image": "/images/imageToImage", "inpaint": "/images/inpaint"}
TABLE = ParamTable(
    "Recraft",
    Param("prompt"),
    Param("size"),
    Param("style"),
    Param("substyle"),
    Param("negative_prompt"),
    Param("output_format", None, allowed=("svg",), takes="svg, from the vector models"),
    Param("quality", None, allowed=("auto",), takes="auto (Recraft has no quality setting)"),
    Param("user", None),
    Param("image"),
    Param("mask"),
)


def operation(job: ImageJob) -> str:
    if job.endpoint == "generations":
        return "generations"
    return "inpaint" if job.mask is not None else "image_to_image"


def refusal(job: ImageJob) -> InvalidRequest | None:
    """The table's answer, then Recraft's own rules: a substyle refines a style; edits take no size."""
    values = job.params()
    if (found := TABLE.refusal(values)) is not None:
        return found
    if "substyle" in values and "style" not in values:
        return InvalidRequest("'substyle' refines a style: send 'style' with it.", param="substyle",
                              code="invalid_value")
    if job.endpoint == "edits" and "size" in values:
        return InvalidRequest("Recraft's edits keep the input image's size; leave out 'size'.", param="size",
                              code="unsupported_parameter")
    return None


def request_fields(call: Call) -> dict[str, Any]:
    """The body's fields (JSON for generations; multipart text for edits, see :func:`form`)."""
    fields: dict[str, Any] = {"model": call.upstream_model, "n": call.n, "response_format": "url",
                              **TABLE.body(call.job.params())}
    if operation(call.job) == "image_to_image":
        fields["strength"] = STRENGTH
    return fields


def form(call: Call) -> dict[str, str]:
    return as_form(request_fields(call))


def parse_answer(body: Any, expected: int) -> UpstreamResult:
    """OpenAI's ``ImagesResponse`` shape plus ``credits``: the API units the request cost."""
    result = parse_response(body, expected)
    credits = body.get("credits")
    if credits is not None:
        if isinstance(credits, bool) or not isinstance(credits, int | float) or credits < 0:
            raise UpstreamError("The upstream reported an unreadable cost.", code="upstream_bad_response")
        result.cost = credits / UNITS_PER_USD
    return result
