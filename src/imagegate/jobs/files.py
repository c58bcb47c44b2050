"""A job's uploaded images, moved from the request's temp folder into ``<data_dir>/jobs/<id>/`` so the
job can still run after a restart; removed when the job finishes or expires.

With an S3 store they are also kept in the bucket (:class:`~imagegate.store.base.Mirror`), so a worker on
any node of a fleet can run the job: it fetches the files it doesn't have into its own ``jobs/<id>/`` first. A job whose
uploads can't be kept is not created (503 ``storage_unavailable``).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..job import Upload
from ..store.base import Mirror

log = logging.getLogger("imagegate.jobs")


def _keep(upload: Upload, folder: Path, index: int) -> dict[str, Any]:
    target = folder / f"input{index}"
    upload.save_as(target)
    return {"field": upload.field, "filename": upload.filename, "content_type": upload.content_type,
            "file": target.name, "size": upload.size}


def _persist(images: list[Upload], mask: Upload | None, folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    kept = [_keep(upload, folder, i) for i, upload in enumerate(images)]
    return {"images": kept, "mask": _keep(mask, folder, len(kept)) if mask is not None else None}


def _upload(kept: dict[str, Any], folder: Path) -> Upload:
    return Upload(kept["field"], kept["filename"], kept["content_type"], folder / kept["file"], kept["size"])


@dataclass(frozen=True, slots=True)
class JobFiles:
    root: Path
    mirror: Mirror | None = None

    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    async def persist(self, job_id: str, images: list[Upload], mask: Upload | None) -> dict[str, Any]:
        """Move the uploads into the job's folder (and the mirror); their descriptions for the stored request."""
        folder = self.folder(job_id)
        inputs = await asyncio.to_thread(_persist, images, mask, folder)
        if self.mirror is not None:
            try:
                await self.mirror.keep(job_id, folder)
            except BaseException:
                await asyncio.to_thread(shutil.rmtree, folder, True)
                raise
        return inputs

    async def restore(self, job_id: str, inputs: dict[str, Any]) -> tuple[list[Upload], Upload | None]:
        folder, mask = self.folder(job_id), inputs.get("mask")
        kept = [*inputs.get("images", []), *([mask] if mask else [])]
        if self.mirror is not None and kept:
            await self.mirror.fetch(job_id, folder, [k["file"] for k in kept])
        return [_upload(k, folder) for k in inputs.get("images", [])], _upload(mask, folder) if mask else None

    async def remove(self, job_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self.folder(job_id), True)
        if self.mirror is not None:
            try:
                await self.mirror.drop(job_id)
            except Exception:
                log.warning("could not remove job %s's uploads from the store; the sweep will", job_id)
