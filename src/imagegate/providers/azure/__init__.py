from .adapter import AzureOpenAIProvider

__all__ = ["AzureOpenAIProvider"]
