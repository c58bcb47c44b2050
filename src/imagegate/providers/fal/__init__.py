from .adapter import FalProvider

__all__ = ["FalProvider"]
