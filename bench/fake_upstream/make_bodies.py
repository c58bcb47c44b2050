"""Write the fake upstream's OpenAI-shaped JSON bodies and the edit upload images.

Usage: python bench/fake_upstream/make_bodies.py OUT_DIR

Creates (idempotently, deterministic seed):
  OUT_DIR/bodies/small/v1/images/{generations,edits}  gpt-image-1 body with one 64x64 PNG
  OUT_DIR/bodies/large/v1/images/{generations,edits}  gpt-image-1 body with one 1024x1024 PNG (~1.1 MB)
  OUT_DIR/uploads/image_1mb.png                        ~1.1 MB PNG for the edit workload
  OUT_DIR/uploads/image_25mb.png                       just under 25 MB PNG for the memory workload
"""

from __future__ import annotations

import base64
import io
import json
import random
import sys
from pathlib import Path

from PIL import Image

SEED = 20240601
MAX_UPLOAD_BYTES = 25_000_000  # stays under both 25 MB and 25 MiB


def noise_png(width: int, height: int, levels: int, seed: int) -> bytes:
    """RGB noise with `levels` values per channel: incompressible enough to stay large as PNG."""
    rng = random.Random(seed)
    step = 255 // (levels - 1)
    lut = bytes((i % levels) * step for i in range(256))
    raw = rng.randbytes(width * height * 3).translate(lut)
    buf = io.BytesIO()
    Image.frombytes("RGB", (width, height), raw).save(buf, "PNG")
    return buf.getvalue()


def gpt_image_body(png: bytes, size: str, quality: str, output_tokens: int) -> dict[str, object]:
    """A response shaped like OpenAI's gpt-image-1 /v1/images/{generations,edits} answer."""
    return {
        "created": 1717200000,
        "background": "opaque",
        "data": [{"b64_json": base64.b64encode(png).decode("ascii")}],
        "output_format": "png",
        "quality": quality,
        "size": size,
        "usage": {
            "input_tokens": 50,
            "input_tokens_details": {"text_tokens": 40, "image_tokens": 10},
            "output_tokens": output_tokens,
            "total_tokens": 50 + output_tokens,
        },
    }


def write_bodies(out: Path) -> dict[str, int]:
    """Write the four body files; returns {relative path: size in bytes}."""
    small = noise_png(64, 64, 6, SEED)
    large = noise_png(1024, 1024, 6, SEED + 1)
    variants = {
        "small": gpt_image_body(small, "1024x1024", "low", 272),
        "large": gpt_image_body(large, "1024x1024", "high", 4160),
    }
    sizes: dict[str, int] = {}
    for name, body in variants.items():
        data = json.dumps(body, separators=(",", ":")).encode()
        for endpoint in ("generations", "edits"):
            path = out / "bodies" / name / "v1" / "images" / endpoint
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            sizes[str(path.relative_to(out))] = len(data)
    return sizes


def biggest_square_under(limit: int) -> int:
    """Side of a noise RGB PNG (256 levels) that stays below `limit` bytes."""
    overhead = 64 * 1024
    return int(((limit - overhead) / 3) ** 0.5) // 16 * 16


def write_uploads(out: Path) -> dict[str, int]:
    """Write the edit upload images (skipped when already present)."""
    up = out / "uploads"
    up.mkdir(parents=True, exist_ok=True)
    one = up / "image_1mb.png"
    if not one.exists():
        one.write_bytes(noise_png(1024, 1024, 6, SEED + 2))
    big = up / "image_25mb.png"
    if not big.exists():
        side = biggest_square_under(MAX_UPLOAD_BYTES)
        data = noise_png(side, side, 256, SEED + 3)
        if len(data) >= MAX_UPLOAD_BYTES:
            raise RuntimeError(f"25 MB upload came out too large: {len(data)} bytes")
        big.write_bytes(data)
    return {p.name: p.stat().st_size for p in (one, big)}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    sizes = write_bodies(out) | write_uploads(out)
    print(json.dumps(sizes, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
