"""A job's uploaded images, moved from the request's temp folder into ``<data_dir>/jobs/<id>/`` so the
job can still run after a restart; removed when the job finishes or expires."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from ..job import Upload


def _keep(upload: Upload, folder: Path, index: int) -> dict[str, Any]:
    target = folder / f"input{index}"
    shutil.move(upload.path, target)
    return {"field": upload.field, "filename": upload.filename, "content_type": upload.content_type,
            "file": target.name, "size": upload.size}


def _persist(images: list[Upload], mask: Upload | None, folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    kept = [_keep(upload, folder, i) for i, upload in enumerate(images)]
    return {"images": kept, "mask": _keep(mask, folder, len(kept)) if mask is not None else None}


async def persist(images: list[Upload], mask: Upload | None, folder: Path) -> dict[str, Any]:
    """Move the uploads into ``folder``; returns their descriptions for the job's stored request."""
    return await asyncio.to_thread(_persist, images, mask, folder)


def _upload(kept: dict[str, Any], folder: Path) -> Upload:
    return Upload(kept["field"], kept["filename"], kept["content_type"], folder / kept["file"], kept["size"])


def restore(inputs: dict[str, Any], folder: Path) -> tuple[list[Upload], Upload | None]:
    mask = inputs.get("mask")
    return [_upload(k, folder) for k in inputs.get("images", [])], _upload(mask, folder) if mask else None


async def remove(folder: Path) -> None:
    await asyncio.to_thread(shutil.rmtree, folder, True)
