"""Check uploaded images and masks against the model: count, size, format, squareness, alpha, mask match."""

from __future__ import annotations

import asyncio

from .catalog import ModelSpec
from .errors import InvalidRequest, PayloadTooLarge, missing
from .imaging import BadImage, ImageInfo, inspect
from .job import InputImage, Upload

MASK_MAX_BYTES = 4 * 1024 * 1024
INLINE_CHECK_BYTES = 4 * 1024 * 1024  # uploads in memory up to this size are checked on the event loop


def _inspect(upload: Upload, param: str, max_pixels: int) -> ImageInfo:
    try:
        return inspect(upload.source, max_pixels)
    except BadImage as exc:
        raise InvalidRequest(f"Invalid {param} '{upload.filename}': {exc}. Send a png, jpeg or webp file.",
                             param=param, code="invalid_image") from None


def _check_image(upload: Upload, spec: ModelSpec, needs_alpha: bool, max_pixels: int) -> InputImage:
    if upload.size > spec.edit_max_bytes:
        mb = spec.edit_max_bytes // (1024 * 1024)
        raise PayloadTooLarge(f"Images for '{spec.id}' must be at most {mb} MB.", param="image",
                              code="file_too_large")
    info = _inspect(upload, "image", max_pixels)
    if info.format not in spec.edit_formats:
        allowed = ", ".join(sorted(spec.edit_formats))
        raise InvalidRequest(f"'{spec.id}' takes {allowed} images, not {info.format}.", param="image",
                             code="invalid_image_format")
    if spec.edit_square_png and info.width != info.height:
        raise InvalidRequest(f"Images for '{spec.id}' must be square, got {info.width}x{info.height}.",
                             param="image", code="invalid_image")
    if needs_alpha and not info.has_alpha and info.mode != "L":
        raise InvalidRequest(f"Without a mask, the image for '{spec.id}' must have transparency (RGBA).",
                             param="image", code="invalid_image")
    return InputImage(upload, info)


def _check_mask(mask: Upload, first: InputImage, max_pixels: int) -> InputImage:
    if mask.size > MASK_MAX_BYTES:
        raise PayloadTooLarge("The mask must be at most 4 MB.", param="mask", code="file_too_large")
    info = _inspect(mask, "mask", max_pixels)
    if info.format != "png":
        raise InvalidRequest("The mask must be a PNG file.", param="mask", code="invalid_image_format")
    if not info.has_alpha:
        raise InvalidRequest("The mask must have an alpha channel: transparent pixels mark the area to edit.",
                             param="mask", code="invalid_image")
    if (info.width, info.height) != (first.info.width, first.info.height):
        raise InvalidRequest(
            f"The mask is {info.width}x{info.height} but the image is {first.info.width}x{first.info.height}.",
            param="mask", code="invalid_image")
    return InputImage(mask, info)


def _check_all(
    endpoint: str, images: list[Upload], mask: Upload | None, spec: ModelSpec, max_pixels: int
) -> tuple[tuple[InputImage, ...], InputImage | None]:
    max_images = 1 if endpoint == "variations" else spec.edit_max_images
    if not images:
        raise missing("image")
    if len(images) > max_images:
        raise InvalidRequest(f"'{spec.id}' takes at most {max_images} image(s), got {len(images)}.",
                             param="image", code="too_many_images")
    needs_alpha = endpoint == "edits" and mask is None and (spec.edit_square_png or spec.mask_or_alpha)
    checked = tuple(_check_image(u, spec, needs_alpha, max_pixels) for u in images)
    return checked, _check_mask(mask, checked[0], max_pixels) if mask is not None else None


async def check_inputs(
    endpoint: str, images: list[Upload], mask: Upload | None, spec: ModelSpec, max_pixels: int
) -> tuple[tuple[InputImage, ...], InputImage | None]:
    """Validate the uploads for ``endpoint``; 400/413 naming ``image`` or ``mask``. Headers are read and chunk
    checksums checked, nothing is decoded: a few MB in memory are checked on the event loop (faster than a
    thread hop), anything more, or anything on disk, in a worker thread."""
    if endpoint == "variations" and mask is not None:
        raise InvalidRequest("Variations take no mask.", param="mask", code="unknown_parameter")
    uploads = [*images, *([mask] if mask is not None else [])]
    if all(u.data is not None for u in uploads) and sum(u.size for u in uploads) <= INLINE_CHECK_BYTES:
        return _check_all(endpoint, images, mask, spec, max_pixels)
    return await asyncio.to_thread(_check_all, endpoint, images, mask, spec, max_pixels)
