"""Builders for in-process tests: the registry's models and fields, jobs built the way admission builds them,
calls, channels with scripted providers, upstream replies and an HTTP client that records instead of sending, a
clock to inject, small images, config files, and keys in a ledger."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
from PIL import Image

from imagegate.catalog import Catalog, ModelSpec
from imagegate.fields import FieldTable
from imagegate.health import Health
from imagegate.imaging import inspect
from imagegate.job import ImageJob, InputImage, Upload
from imagegate.ledger import Database, Keys
from imagegate.ledger.limits import KeyCreate
from imagegate.ledger.prices import PriceTable
from imagegate.normalise import normalise as normalise_values
from imagegate.policy import Policy
from imagegate.providers.base import Call, PartialSink, Provider, TaskLog
from imagegate.providers.http import FilePart, Http, OnEvent, Reply
from imagegate.providers.registry import Registry
from imagegate.router import Channel, Router
from imagegate.routing import Live, Routing

REGISTRY = Registry.load()
FIELDS = FieldTable.build(REGISTRY.fields())
BUILTIN: dict[str, ModelSpec] = REGISTRY.models()
PRICES = REGISTRY.prices()


def coerce(endpoint: str, raw: dict[str, Any]) -> dict[str, Any]:
    return FIELDS.coerce(endpoint, raw)


def normalise(endpoint: str, values: dict[str, Any], spec: ModelSpec) -> ImageJob:
    return normalise_values(endpoint, values, spec, FIELDS.options)


def job(endpoint: str = "generations", model: str = "gpt-image-1", images: list[InputImage] | None = None,
        mask: InputImage | None = None, **raw: Any) -> ImageJob:
    """A job as admission makes it: fields coerced, normalised against the model, inputs attached."""
    if endpoint != "variations":
        raw.setdefault("prompt", "p")
    built = normalise(endpoint, coerce(endpoint, raw), BUILTIN[model])
    return replace(built, images=tuple(images or ()), mask=mask)


def call(built: ImageJob, upstream_model: str | None = None, n: int = 1, offset: int = 0, channel: str = "c",
         on_partial: PartialSink | None = None, tasks: TaskLog | None = None) -> Call:
    return Call(built, channel, upstream_model or built.spec.id, n, offset, on_partial, tasks)


def channel(name: str, client: Provider, models: dict[str, str] | None = None, priority: int = 0,
            weight: int = 1, cap: int | None = None, timeout: float = 600.0, health: Health | None = None,
            provider: str = "openai") -> Channel:
    return Channel(name, provider, client, "http://u/v1", models or {"gpt-image-1": "gpt-image-1"}, priority,
                   weight, timeout, cap, health or Health())


class Clock:
    """A clock to inject where the code takes one: it reads ``now``, which only the test moves."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


UPSTREAM_KEY = "k3yMaterial99"


def reply(status: int, *, json: object = None, content: bytes = b"",
          url: str = "https://api.bfl.ai/v1/flux-kontext-pro") -> Reply:
    """An upstream's answer to a request that carried the channel's key (``UPSTREAM_KEY``): ``json``, else
    ``content``."""
    body = orjson.dumps(json) if json is not None else content
    return Reply(status, {}, body, url, credential=UPSTREAM_KEY)


@dataclass
class Sent:
    """One request a :class:`RecordingHttp` was asked to send."""

    method: str
    url: str
    headers: dict[str, str]
    json: Any = None
    data: dict[str, str] | None = None
    files: list[FilePart] = field(default_factory=list)


class RecordingHttp(Http):
    """The providers' HTTP client without the network: each request is kept in ``sent`` and answered by
    ``answer(url)`` (by default a 200 with ``body``)."""

    def __init__(self, body: bytes = b"", answer: Callable[[str], Reply] | None = None) -> None:
        super().__init__(timeout=1)
        self.sent: list[Sent] = []
        self.answer = answer or (lambda url: Reply(200, {}, body, url))

    async def request(self, method: str, url: str, *, json: Any = None, content: bytes | None = None,
                      data: dict[str, str] | None = None, files: list[FilePart] | None = None,
                      headers: Mapping[str, str] | None = None, on_event: OnEvent | None = None) -> Reply:
        self.sent.append(Sent(method, url, dict(headers or {}), json, data, list(files or [])))
        return self.answer(url)


def png_bytes(width: int = 64, height: int = 64, mode: str = "RGBA", fmt: str = "PNG",
              color: tuple[int, ...] = (200, 30, 30, 255), transparent_box: tuple[int, int, int, int] | None = None
              ) -> bytes:
    """An image's bytes: ``mode`` at ``width`` x ``height`` in ``color`` (as many bands as the mode has), saved as
    ``fmt``; ``transparent_box`` is cut out fully transparent."""
    img = Image.new(mode, (width, height), color[:len(mode)])
    if transparent_box is not None:
        img.paste((0, 0, 0, 0), transparent_box)
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def input_image(tmp_path: Path, width: int, height: int, fmt: str = "PNG", mode: str = "RGB",
                transparent_box: tuple[int, int, int, int] | None = None, name: str = "in") -> InputImage:
    """An uploaded image on disk, checked as admission checks it."""
    data = png_bytes(width, height, mode, fmt, (10, 20, 30, 255), transparent_box)
    path = tmp_path / f"{name}.{fmt.lower()}"
    path.write_bytes(data)
    return InputImage(Upload("image", path.name, f"image/{fmt.lower()}", path, len(data)), inspect(path, 10**8))


def write(tmp_path: Path, text: str, name: str = "imagegate.toml") -> Path:
    """A config file with ``text``."""
    path = tmp_path / name
    path.write_text(text)
    return path


def channel_table(name: str = "a", extra: str = "", models: str = '["gpt-image-1"]') -> str:
    """One ``[[channels]]`` table of a config file, with ``extra`` lines of its own."""
    return f'[[channels]]\nname = "{name}"\nbase_url = "http://h/v1"\nmodels = {models}\n{extra}\n'


def flux_job(endpoint: str = "generations", model: str = "flux-kontext-pro", images: list[InputImage] | None = None,
             mask: InputImage | None = None, **raw: Any) -> ImageJob:
    return job(endpoint, model, images, mask, **raw)


def live(router: Router, policy: Policy | None = None) -> Live:
    """The routing a dispatcher reads: ``router`` and ``policy`` over the registry's models and prices."""
    return Live(Routing(Catalog(BUILTIN), router, PriceTable(PRICES), policy or Policy()))


async def make_key(keys: Keys, name: str = "k", **limits: object) -> int:
    """A key with these limits in the ledger; its id."""
    record, _ = await keys.create(KeyCreate(name=name, **limits))  # type: ignore[arg-type]
    return record.id


UNREACHABLE_DB = "postgresql+asyncpg://nobody@127.0.0.1:1/none"


def break_database(db: Database) -> Callable[[], None]:
    """Point the ledger at a server that refuses connections (and SQLite's usage appender at a file that can't be
    opened); returns the call that puts it back."""
    from sqlalchemy.ext.asyncio import create_async_engine

    saved = db.engine, db._writer, db.file, dict(db._appenders)
    db.engine = create_async_engine(UNREACHABLE_DB)
    db._writer = db.engine.execution_options(imagegate_write=True)
    db._appenders.clear()
    if db.file is not None:
        db.file = db.file.parent / "no-such-folder" / db.file.name

    def restore() -> None:
        db.engine, db._writer, db.file = saved[:3]
        db._appenders.clear()
        db._appenders.update(saved[3])

    return restore
