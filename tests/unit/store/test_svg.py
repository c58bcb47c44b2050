"""Vector results: SVG text is recognised by its start, stored as ``.svg`` and typed ``image/svg+xml``."""

from __future__ import annotations

import pytest

from imagegate.imaging import pixel_size
from imagegate.store.base import ACTIVE_TYPES, NAME, StoredObject
from imagegate.store.images import sniff

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'


@pytest.mark.parametrize("data", [SVG, b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'/>",
                                  b"<!-- made by hand -->\n<svg/>"])
def test_svg_text_is_sniffed_as_svg(data: bytes) -> None:
    assert sniff(data) == "svg" and pixel_size(data) is None  # Pillow can't read it: no size, no error


def test_other_xml_and_images_are_not_svg() -> None:
    assert sniff(b'<?xml version="1.0"?><html/>') == "png"
    assert sniff(b"\xff\xd8\xff\xe0") == "jpeg"


def test_an_svg_object_is_active_content() -> None:
    name = "A" * 24 + ".svg"
    assert NAME.match(name) and StoredObject(name, 1, "\"e\"").content_type in ACTIVE_TYPES
