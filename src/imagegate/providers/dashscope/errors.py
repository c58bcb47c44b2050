"""DashScope's error answers → imagegate errors, scrubbed. An error comes as an HTTP error status or as an HTTP 200
whose body (or ``output``, or a failed task) carries ``code`` and ``message``; both are judged by the code first.

    code                                        error                          what the dispatcher does
    DataInspectionFailed, IPInfringementSuspect ContentPolicy (400)            answered, not retried
    InvalidParameter*, BadRequest.*, InvalidURL InvalidRequest (400)           answered, not retried
    InvalidApiKey (401), AccessDenied* (403)    upstream_auth_error            channel disabled until reload
    Arrearage                                   upstream_insufficient_credit   cools down, not retried
    Throttling* (429)                           RateLimited                    rests for Retry-After, retried
    RequestTimeOut (408)                        UpstreamTimeout (504)          retried
    InternalError* (500), others                upstream_error                 retried
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ...errors import ApiError, ContentPolicy, InvalidRequest, RateLimited, UpstreamError, UpstreamTimeout
from ..http import Reply
from ..upstream import retry_after, scrub_reply
from .params import PARAMS, TABLE, Failure

CONTENT = ("DataInspectionFailed", "IPInfringementSuspect", "DataInspection")
INVALID = ("InvalidParameter", "BadRequest", "InvalidURL", "InvalidFile")
FIELDS = ("negative_prompt", "prompt_extend", "watermark", "seed", "size")
AUTH = "The upstream rejected the gateway's credentials for this model."


def blamed(message: str) -> str | None:
    """The OpenAI field a message names: an option by its upstream name, else ``n``, the images or the prompt."""
    for name in FIELDS:
        if re.search(rf"\b{name}\b", message):
            return TABLE.openai_name(f"{PARAMS}.{name}")
    if re.search(r"\bn\b", message):
        return "n"
    if re.search(r"\b(image|images|url)\b", message, re.I):
        return "image"
    if re.search(r"\b(prompt|text)\b", message, re.I):
        return "prompt"
    return None


def envelope(response: Reply) -> Failure:
    """The ``{code, message}`` of an error answer (empty when the body isn't one)."""
    try:
        body: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return Failure("", "")
    return Failure(str(body.get("code") or ""), str(body.get("message") or ""))


def _by_code(failure: Failure, message: str, retry: str) -> ApiError | None:
    code = failure.code
    if code.startswith(CONTENT) and code != "InvalidParameter.DataInspection":
        return ContentPolicy(f"The upstream's content inspection rejected the request or its image ({code}).")
    if code.startswith(INVALID):
        return InvalidRequest(f"The upstream refused the request: {message}", param=blamed(failure.message),
                              code="invalid_value")
    if code == "InvalidApiKey" or code.startswith("AccessDenied"):
        return UpstreamError(AUTH, code="upstream_auth_error")
    if code == "Arrearage":
        return UpstreamError("The upstream account is overdue.", code="upstream_insufficient_credit")
    if code.startswith("Throttling"):
        return RateLimited(f"The upstream is rate limiting requests: {message}", headers={"Retry-After": retry})
    if code == "RequestTimeOut":
        return UpstreamTimeout("The upstream did not finish in time.")
    return None


def reported(failure: Failure, response: Reply) -> ApiError:
    """The error for a ``{code, message}`` the upstream reported (in any answer, or a failed task)."""
    message = scrub_reply(response, failure.message or failure.code or "no reason given")
    error = _by_code(failure, message, retry_after(response))
    if error is not None:
        return error
    return UpstreamError(f"The upstream failed ({failure.code or 'no code'}).", code="upstream_error")


def failure(response: Reply) -> ApiError:
    """The error for an answer with an error status."""
    found = envelope(response)
    if found.code:
        return reported(found, response)
    status = response.status_code
    if status in (401, 403):
        return UpstreamError(AUTH, code="upstream_auth_error")
    if status == 429:
        return RateLimited("The upstream is rate limiting requests.", headers={"Retry-After": retry_after(response)})
    if status == 400:
        return InvalidRequest("The upstream refused the request.", code="invalid_value")
    return UpstreamError(f"The upstream failed with status {status}.", code="upstream_error")
