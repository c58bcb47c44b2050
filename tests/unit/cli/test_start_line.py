"""What ``imagegate serve`` says it serves: the demo model alone says why and how to add an upstream."""

from __future__ import annotations

from imagegate.cli import start_line
from imagegate.config import Settings


def test_the_demo_model_alone_says_why_and_how_to_add_an_upstream() -> None:
    line = start_line(Settings(port=9), ["demo"])
    assert line.startswith("imagegate: no upstream configured, so serving the built-in demo model")
    assert "on http://127.0.0.1:9;" in line and "set OPENAI_API_KEY" in line and "IMAGEGATE_DEMO=false" in line


def test_other_models_are_listed() -> None:
    assert start_line(Settings(port=9), ["dall-e-2", "demo"]) == "imagegate: serving dall-e-2, demo on http://127.0.0.1:9"
    assert start_line(Settings(port=9), []) == "imagegate: serving no models on http://127.0.0.1:9"
