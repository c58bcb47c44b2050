from .adapter import BFLProvider

__all__ = ["BFLProvider"]
