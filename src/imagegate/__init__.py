"""imagegate: an OpenAI-compatible image API gateway."""

__version__ = "0.1.0"
