"""Fake Azure OpenAI images deployments: FakeOpenAI's behaviour under Azure's paths, key header and api-version."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .openai_upstream import FakeOpenAI, Recorded, error_body, json_response

API_VERSIONS = frozenset({"2024-02-01", "2024-10-21", "2025-04-01-preview"})


class FakeAzureOpenAI(FakeOpenAI):
    """POST /openai/deployments/{deployment}/images/{generations,edits}?api-version=... with an ``api-key`` header.

    ``deployments`` maps each deployment name to the model behind it; the body names no model.
    ``base_url`` is the resource endpoint (no ``/v1``), as in an Azure channel's configuration.
    """

    def __init__(self, deployments: dict[str, str], api_key: str = "azure-fake-key") -> None:
        super().__init__(api_key)
        self.deployments = deployments
        self.app.router.routes.append(
            Route("/openai/deployments/{deployment}/images/{op}", self._deployment, methods=["POST"]))

    def start(self) -> FakeAzureOpenAI:
        super().start()
        self.base_url = self.origin
        return self

    async def _deployment(self, request: Request) -> Response:
        if request.path_params["deployment"] not in self.deployments:
            return json_response(error_body("The API deployment for this resource does not exist.",
                                            code="DeploymentNotFound"), 404)
        if request.query_params.get("api-version") not in API_VERSIONS:
            return json_response(error_body("Unsupported api-version.", code="404"), 404)
        return await self._images(request)

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("api-key") == self.api_key

    def _params(self, record: Recorded) -> dict[str, Any]:
        deployment = record.path.split("/")[3]
        return {**super()._params(record), "model": self.deployments[deployment]}
