"""Gemini image models on Vertex AI: the Gemini translation at Vertex's URLs, with its own output options.

``{base}/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent``
with an OAuth2 token from a service account (``credentials_file``), or, in express mode (an
``api_key`` and no ``credentials_file``), ``{base}/v1/publishers/google/models/{model}:generateContent``
with the key in ``x-goog-api-key``. The base follows the location: ``global`` →
``https://aiplatform.googleapis.com``, a region → ``https://{region}-aiplatform.googleapis.com``;
a channel's ``base_url`` overrides it. Never the ``:predict`` route, which doesn't serve Gemini.
Vertex also takes ``output_format`` (png or jpeg) and ``output_compression`` as
``imageConfig.imageOutputOptions``.
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..base import Call, Upstream, UpstreamResult
from ..gemini.adapter import GeminiProvider
from ..gemini.errors import TokenRejected
from ..gemini.params import COMMON, IMAGE_CONFIG
from ..http import Http
from ..spec import Param, ParamTable
from .tokens import ServiceAccountTokens

OUTPUT = f"{IMAGE_CONFIG}.imageOutputOptions"
TABLE = ParamTable(
    "Vertex AI", *COMMON,
    Param("output_format", f"{OUTPUT}.mimeType", allowed=("png", "jpeg"), takes="png or jpeg",
          transform=lambda fmt: f"image/{fmt}"),
    Param("output_compression", f"{OUTPUT}.compressionQuality"),
)


class VertexOptions(BaseModel):
    """The ``[[channels]]`` keys only Vertex channels take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str | None = Field(default=None, min_length=1)
    location: str = Field(default="global", pattern=r"^[a-z0-9-]+$")
    credentials_file: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> VertexOptions:
        if self.credentials_file is not None and self.project is None:
            raise ValueError("a service-account channel needs its project")
        return self


def base_url(options: VertexOptions) -> str:
    if options.location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{options.location}-aiplatform.googleapis.com"


class VertexProvider(GeminiProvider):
    table = TABLE

    def __init__(self, upstream: Upstream, http: Http) -> None:
        super().__init__(upstream, http)
        self.options = upstream.options if isinstance(upstream.options, VertexOptions) else VertexOptions()
        self.base_url = upstream.base_url or base_url(self.options)
        self.tokens = ServiceAccountTokens(self.options.credentials_file) if self.options.credentials_file else None
        if self.tokens is None and not upstream.api_key:
            raise ValueError("a Vertex channel needs a credentials_file (with its project) or an api_key")

    def url(self, upstream_model: str) -> str:
        model = quote(upstream_model, safe="")
        if self.tokens is None:
            return f"{self.base_url}/v1/publishers/google/models/{model}:generateContent"
        project, location = quote(self.options.project or "", safe=""), quote(self.options.location, safe="")
        return (f"{self.base_url}/v1/projects/{project}/locations/{location}/publishers/google/models/{model}"
                ":generateContent")

    async def auth(self) -> dict[str, str]:
        return await self.tokens.header() if self.tokens is not None else self.headers

    def secrets(self) -> tuple[str, ...]:
        return (self.options.project or "",)

    async def run(self, call: Call) -> UpstreamResult:
        """One call; a token the upstream stopped taking (401) is refreshed and the call sent once more."""
        rejected = self.tokens.token if self.tokens is not None else None
        try:
            return await super().run(call)
        except TokenRejected:
            if self.tokens is None:
                raise
        await self.tokens.refresh_after(rejected)
        return await super().run(call)
