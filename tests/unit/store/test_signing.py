"""Signed result links: the signature binds name and expiry; expired links are gone; the secret is made once."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from imagegate.errors import Gone, PermissionDenied
from imagegate.store import Signer
from imagegate.store.signing import load_secret


def parts(url: str) -> tuple[str, str, str]:
    split = urlsplit(url)
    query = parse_qs(split.query)
    return split.path.rsplit("/", 1)[1], query["expires"][0], query["signature"][0]


def test_signed_link_round_trip() -> None:
    signer = Signer(b"s", 60, "http://gw")
    name, expires, sig = parts(signer.url("abc.png"))
    signer.verify(name, expires, sig)
    with pytest.raises(PermissionDenied):
        signer.verify("abd.png", expires, sig)
    with pytest.raises(PermissionDenied):
        signer.verify(name, str(int(expires) + 1), sig)
    with pytest.raises(PermissionDenied):
        Signer(b"other", 60, "http://gw").verify(name, expires, sig)
    with pytest.raises(PermissionDenied):
        signer.verify(name, "soon", sig)


def test_expired_link() -> None:
    signer = Signer(b"s", 60, "http://gw")
    name, expires, sig = parts(signer.url("abc.png", now=time.time() - 120))
    with pytest.raises(Gone):
        signer.verify(name, expires, sig)


def test_secret_is_generated_once(tmp_path: Path) -> None:
    first = load_secret(tmp_path, None)
    assert len(first) == 64 and load_secret(tmp_path, None) == first
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    assert load_secret(tmp_path, "configured") == b"configured"
