"""Signed, expiring result links: HMAC-SHA256 over the object name and the expiry time."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from ..errors import Gone, PermissionDenied

EXPIRES_DIGITS = 12  # a Unix time; longer is no link of ours


def load_secret(data_dir: Path, configured: str | None) -> bytes:
    """The configured secret, or one generated into the data dir on first start (shared by restarts)."""
    if configured:
        return configured.encode()
    path = data_dir / "secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".secret.{secrets.token_hex(4)}"
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic: the first of several starting workers wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()


class Signer:
    def __init__(self, secret: bytes, ttl: int, base_url: str) -> None:
        self.secret = secret
        self.ttl = ttl
        self.base_url = base_url

    def _signature(self, name: str, expires: int) -> str:
        return hmac.new(self.secret, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()

    def url(self, name: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + self.ttl)
        sig = self._signature(name, expires)
        return f"{self.base_url}/v1/files/images/{quote(name)}?expires={expires}&signature={sig}"

    def verify(self, name: str, expires: str, signature: str) -> None:
        """Raise 403 for a link that wasn't signed by us, 410 for one that has expired."""
        valid = expires.isascii() and expires.isdigit() and len(expires) <= EXPIRES_DIGITS
        if not valid or not hmac.compare_digest(self._signature(name, int(expires)).encode(),
                                                 signature.encode("utf-8", "replace")):
            raise PermissionDenied("This link is not valid.", code="invalid_signature")
        if int(expires) < time.time():
            raise Gone("This link has expired.", code="link_expired")
