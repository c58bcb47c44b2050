"""Azure OpenAI image deployments: OpenAI's translation at Azure's URLs, with an ``api-key`` header."""

from ..spec import ProviderSpec
from .adapter import AzureOpenAIProvider, AzureOptions

SPEC = ProviderSpec(
    name="azure-openai",
    build=AzureOpenAIProvider,
    credential_header="api-key",
    channel_options=AzureOptions,
)

__all__ = ["SPEC", "AzureOpenAIProvider", "AzureOptions"]
