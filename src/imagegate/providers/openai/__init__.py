from .adapter import OpenAIProvider

__all__ = ["OpenAIProvider"]
