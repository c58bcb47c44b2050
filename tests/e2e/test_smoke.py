from __future__ import annotations

import base64
import io

import openai
from PIL import Image

from tests.fakes.openai_upstream import FakeOpenAI


def test_generate_b64(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.generate(model="gpt-image-1", prompt="a cat", n=2, size="1536x1024")
    assert len(result.data) == 2
    img = Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json or "")))
    assert img.size == (1536, 1024)
    assert upstream.last.json["n"] == 2
