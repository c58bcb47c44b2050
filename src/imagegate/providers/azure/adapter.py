"""Azure OpenAI image deployments: OpenAI's wire format at Azure's URLs, with an ``api-key`` header.

A channel's ``base_url`` is the resource endpoint (``https://<resource>.openai.azure.com``)
and each public model maps to a deployment name, which Azure takes in the path, not the
body: ``/openai/deployments/{name}/images/{generations|edits}?api-version=...``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..base import Call
from ..openai import OpenAIProvider

if TYPE_CHECKING:
    from ...router import Channel

API_VERSION = "2025-04-01-preview"  # the first with gpt-image-1; older ones serve dall-e-3 too


class AzureOpenAIProvider(OpenAIProvider):
    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self.auth = {"api-key": channel.api_key}
        self.api_version = channel.api_version or API_VERSION

    def url(self, call: Call) -> str:
        deployment = quote(call.upstream_model, safe="")
        return (f"{self.base_url}/openai/deployments/{deployment}/images/{call.job.endpoint}"
                f"?api-version={quote(self.api_version, safe='')}")

    def fields(self, call: Call) -> dict[str, Any]:
        fields = super().fields(call)
        del fields["model"]  # the deployment names the model
        return fields
