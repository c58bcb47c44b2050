"""The domain types of one request: the files it uploaded, and the validated job admission makes of it.

An :class:`ImageJob` is complete when admission builds it (model spec, normalised values, checked
input images) and is never changed afterwards; every later stage reads it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import ModelSpec
from .imaging import ImageInfo


@dataclass(slots=True)
class Upload:
    """One uploaded file: in memory (``data``), or on disk (``path``) when it was too large to keep there."""

    field: str
    filename: str
    content_type: str
    path: Path | None = None
    size: int = 0
    data: bytes | None = None

    @property
    def source(self) -> Path | bytes:
        """The bytes, or the file that holds them."""
        if self.data is not None:
            return self.data
        assert self.path is not None, "an upload is in memory or on disk"
        return self.path

    def read(self) -> bytes:
        """The file's bytes (blocking when it is on disk)."""
        source = self.source
        return source if isinstance(source, bytes) else source.read_bytes()

    def save_as(self, target: Path) -> None:
        """Put the file at ``target`` (blocking): written from memory, or moved there."""
        if self.data is not None:
            target.write_bytes(self.data)
        else:
            assert self.path is not None
            shutil.move(self.path, target)


@dataclass(frozen=True, slots=True)
class InputImage:
    """An upload that passed the model's checks, with what its header says."""

    upload: Upload
    info: ImageInfo


@dataclass(frozen=True, slots=True)
class ImageJob:
    endpoint: str
    spec: ModelSpec
    n: int
    response_format: str
    prompt: str | None = None
    size: str | None = None
    quality: str | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    user: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    images: tuple[InputImage, ...] = ()
    mask: InputImage | None = None
    partial_results: bool = False
    stream: bool = False

    def params(self) -> dict[str, Any]:
        """The values an upstream is asked to honour, by OpenAI-side name (what was not sent is absent).

        ``aspect_ratio`` is one of them only for ratio-driven models; for sized models it was mapped
        to ``size`` already. ``image_size`` is the resolution tier, for models that have tiers."""
        values: dict[str, Any] = {"prompt": self.prompt, "size": self.size, "quality": self.quality,
                                  "user": self.user, "image_size": self.resolution}
        if self.spec.aspect_ratios:
            values["aspect_ratio"] = self.aspect_ratio
        values.update(self.options)
        return {name: value for name, value in values.items() if value is not None}
