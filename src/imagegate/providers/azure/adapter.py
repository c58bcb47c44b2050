"""Azure OpenAI image deployments: OpenAI's wire format at Azure's URLs, with an ``api-key`` header.

A channel's ``base_url`` is the resource endpoint (``https://<resource>.openai.azure.com``)
and each public model maps to a deployment name, which Azure takes in the path, not the
body: ``/openai/deployments/{name}/images/{generations|edits}?api-version=...``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from ..base import Call, Upstream
from ..http import Http
from ..openai import OpenAIProvider

API_VERSION = "2025-04-01-preview"  # the first with gpt-image-1; older ones serve dall-e-3 too


class AzureOptions(BaseModel):
    """The ``[[channels]]`` keys only Azure channels take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_version: str = Field(default=API_VERSION, min_length=1)


class AzureOpenAIProvider(OpenAIProvider):
    def __init__(self, upstream: Upstream, http: Http) -> None:
        super().__init__(upstream, http)
        self.auth = {"api-key": upstream.api_key}
        options = upstream.options if isinstance(upstream.options, AzureOptions) else AzureOptions()
        self.api_version = options.api_version

    def url(self, call: Call) -> str:
        deployment = quote(call.upstream_model, safe="")
        return (f"{self.base_url}/openai/deployments/{deployment}/images/{call.job.endpoint}"
                f"?api-version={quote(self.api_version, safe='')}")

    def fields(self, call: Call) -> dict[str, Any]:
        fields = super().fields(call)
        del fields["model"]  # the deployment names the model
        return fields
