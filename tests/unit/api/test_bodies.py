"""Reading JSON bodies (imagegate.api.bodies): the splitter agrees with orjson, and the limits hold."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from imagegate.api import bodies
from imagegate.api.bodies import SpilledJson, Splitter, clean_cut, parse_object, read_spilled_json
from imagegate.errors import ApiError, InvalidRequest, PayloadTooLarge

from .fake_requests import pieces, request

MB = 1024 * 1024
CHARACTERS = ["a", "Z", "0", "+", "=", "/", "\\", '"', "\u0000", "\n", "\t", "é", "€", "😀", "\ud7ff", "\ue000"]


def random_string(rng: random.Random) -> str:
    length = rng.choice([0, 1, 5, 39, 40, 41, 90, 300])
    return "".join(rng.choice(CHARACTERS) for _ in range(length))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.5:
        return rng.choice([random_string(rng), random_string(rng), 7, -2.5e3, None, True])
    if roll < 0.75:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_string(rng): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def encode(rng: random.Random, value: Any) -> bytes:
    """JSON as different encoders write it: escaped non-ASCII or not, and ``/`` escaped as some do."""
    text = orjson.dumps(value) if rng.random() < 0.5 else json.dumps(value, ensure_ascii=rng.random() < 0.5).encode()
    return text.replace(b"/", b"\\/") if rng.random() < 0.3 else text


def damage(rng: random.Random, text: bytes) -> bytes:
    out = bytearray(text)
    at = rng.randrange(len(out))
    if rng.random() < 0.5:
        out.insert(at, rng.choice(b'"\\u\x01\xff\xc3{}[],: 0'))
    else:
        out[at] = rng.choice(b'"\\u\x01\xff\xc3\xed{}')
    return bytes(out)


def split(text: bytes, rng: random.Random, spill: Path) -> tuple[tuple[str, Any], int]:
    """What the splitter makes of ``text`` fed in random chunks (the long strings put back), and how many it spilled."""
    splitter = Splitter()
    spilled = bytearray()
    size = rng.choice([1, 2, 3, 7, 64, 1000])
    try:
        for start in range(0, len(text), size):
            splitter.feed(text[start:start + size])
            spilled += splitter.take()
        spill.write_bytes(bytes(spilled))
        body = SpilledJson(parse_object(splitter.finish()), spill, splitter.strings)
    except InvalidRequest as exc:
        return ("error", exc.code), len(splitter.strings)
    return ("ok", body.restore(body.value)), len(splitter.strings)


def whole(text: bytes) -> tuple[str, Any]:
    try:
        return "ok", parse_object(text)
    except InvalidRequest as exc:
        return "error", exc.code


def test_the_splitter_agrees_with_orjson(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Valid or not, escaped or not, in chunks of any size: the same document, or the same error."""
    monkeypatch.setattr(bodies, "LONG_STRING", 40)
    rng = random.Random(20240601)
    spilled = 0
    for _ in range(1500):
        text = encode(rng, {"k": random_value(rng), random_string(rng): random_value(rng)})
        if rng.random() < 0.3:
            text = damage(rng, text)
        result, count = split(text, rng, tmp_path / "spill")
        assert result == whole(text), text
        spilled += count
    assert spilled > 1000  # long strings (over 40 bytes here) were taken out of the skeleton


@pytest.mark.parametrize("text", [
    "plain ascii text that is long enough",
    "a\\b\\\\c\"d/e\u0000f\n" * 3,
    "é€😀 mixed with ascii and 😀😀 pairs \ud7ff\ue000",
    "\\" * 41,
])
def test_a_clean_cut_leaves_two_parts_that_parse_alone(text: str) -> None:
    for encoded in (json.dumps(text).encode()[1:-1], json.dumps(text, ensure_ascii=False).encode()[1:-1]):
        for end in range(len(encoded) + 1):
            cut = clean_cut(encoded[:end])
            assert end - 19 <= cut <= end
            head, tail = encoded[:cut], encoded[cut:]
            assert orjson.loads(b'"' + head + b'"') + orjson.loads(b'"' + tail + b'"') == text


def test_a_clean_cut_keeps_a_surrogate_pair_together() -> None:
    content = b"a" * 30 + b"\\ud83d\\ude00" + b"b" * 5
    assert clean_cut(content) == 30
    assert clean_cut(content[:40]) == 30
    assert clean_cut(b"a" * 30 + "é".encode()[:1]) == 30


async def read(body: bytes, tmp_path: Path, *, chunk: int = 64 * 1024, limit: int = 64 * MB,
               declared: bool = False) -> SpilledJson:
    stream = request(pieces(body, chunk), len(body) if declared else None)
    return await read_spilled_json(stream, limit=limit, spill=tmp_path / "spill")


async def test_long_strings_are_spilled_and_come_back(tmp_path: Path) -> None:
    prompt, key = "é" * 100_000, "k" * 70_000
    body = orjson.dumps({"prompt": prompt, key: [1, "short"], "images": [{"image_url": "x" * 80_000}]})
    read_back = await read(body, tmp_path, chunk=1000)
    assert len(read_back.strings) == 3 and len(read_back.value["images"][0]["image_url"]) < 100
    assert read_back.restore(read_back.value) == orjson.loads(body)
    assert {s.chars for s in read_back.strings.values()} == {100_000, 70_000, 80_000}


async def test_a_small_declared_body_is_read_whole(tmp_path: Path) -> None:
    body = orjson.dumps({"prompt": "p" * 200_000})
    read_back = await read(body, tmp_path, declared=True)
    assert read_back.strings == {} and read_back.value == orjson.loads(body)


@pytest.mark.parametrize(("body", "declared", "status", "code"), [
    (b'{"prompt": "' + b"a" * (3 * MB) + b'"}', False, 413, "payload_too_large"),
    (b'{"prompt": "' + b"a" * (3 * MB) + b'"}', True, 413, "payload_too_large"),
    (b'{"prompt": "' + b"a\x01" * (2 * MB) + b'"}', False, 413, "payload_too_large"),  # too large wins
    (b'{"prompt": "' + b"a\x01" * MB + b'"}', False, 400, "invalid_json"),
    (b'{"prompt": "' + b"a" * MB, False, 400, "invalid_json"),
    (b'["' + b"a" * MB + b'"]', False, 400, "invalid_json"),
    (b'{"p": "' + b"\\ud83d" * 200_000 + b'"}', False, 400, "invalid_json"),
    (b"[" + b'"a",' * 600_000 + b'"a"]', False, 413, "payload_too_large"),  # more than 2 MB around the strings
])
async def test_bad_bodies(tmp_path: Path, body: bytes, declared: bool, status: int, code: str) -> None:
    with pytest.raises(ApiError) as info:
        await read(body, tmp_path, limit=3 * MB, declared=declared)
    assert (info.value.status, info.value.param, info.value.code) == (status, None, code)
    if status == 413:
        assert isinstance(info.value, PayloadTooLarge)
