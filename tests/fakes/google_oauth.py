"""A fake Google OAuth 2.0 token endpoint for service accounts (the JWT-bearer grant), and test service accounts.

``make_service_account`` writes a service-account JSON key file whose ``token_uri`` points at a fake.
``TokenIssuer`` checks each assertion the way Google documents it -- RS256-signed by the account's key,
``iss`` the account's ``client_email``, ``aud`` the token URI, the requested ``scope``, a short-lived
``iat``/``exp`` -- and issues opaque access tokens that expire after ``expires_in`` seconds. google-auth
always puts Google's own token URI (``https://oauth2.googleapis.com/token``) in ``aud`` whatever the key
file's ``token_uri`` says, so both are accepted. ``FakeGoogleOAuth`` serves one issuer on its own port.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import ThreadedServer
from tests.fakes.task_upstream import json_response

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_LIFETIME = 3600  # an assertion may live at most an hour
SKEW = 300  # seconds of clock skew tolerated on iat/exp


@lru_cache(maxsize=8)
def rsa_key(slot: int = 0) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key, one per ``slot`` (generated once per process: it takes a moment)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class ServiceAccount:
    """A test service account: the key file on disk and what the fake needs to check its assertions."""

    path: Path
    client_email: str
    private_key_id: str
    project_id: str
    public_key: rsa.RSAPublicKey
    info: dict[str, str]


def make_service_account(directory: Path, token_uri: str, *, project_id: str = "imagegate-test-project",
                         name: str = "imagegate-tests", key_slot: int = 0) -> ServiceAccount:
    """Generate (or reuse, by ``key_slot``) an RSA key and write ``<name>.json``, a service-account key file."""
    key = rsa_key(key_slot)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    email = f"{name}@{project_id}.iam.gserviceaccount.com"
    info = {"type": "service_account", "project_id": project_id, "private_key_id": secrets.token_hex(20),
            "private_key": pem, "client_email": email, "client_id": str(secrets.randbelow(10**20)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "universe_domain": "googleapis.com"}
    path = directory / f"{name}.json"
    path.write_text(json.dumps(info, indent=2))
    return ServiceAccount(path, email, info["private_key_id"], project_id, key.public_key(), info)


def sign_assertion(key: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str = "") -> str:
    """An RS256 JWT of ``claims`` (for tests that need a hand-made, possibly wrong, assertion)."""
    header = {"alg": "RS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class GrantError(Exception):
    """An OAuth error answer: ``(error, description)``, sent as HTTP 400 (401 for an unknown client)."""


class TokenIssuer:
    """Checks JWT-bearer assertions and issues access tokens; thread-safe; counts what it issued."""

    def __init__(self, token_uri: str = "", *, expires_in: int = 3600, scope: str = CLOUD_PLATFORM) -> None:
        self.token_uri = token_uri  # set by the server once its port is known
        self.expires_in = expires_in  # lifetime of the access tokens issued from now on
        self.scope = scope  # the scope an assertion must ask for
        self.accounts: dict[str, rsa.RSAPublicKey] = {}
        self.issued = 0
        self.refused = 0
        self.requests: list[dict[str, str]] = []  # the form of every token request
        self._tokens: dict[str, float] = {}  # access token -> expiry (monotonic)
        self._faults: deque[tuple[int, dict[str, str]]] = deque()
        self._lock = threading.Lock()

    def register(self, account: ServiceAccount) -> None:
        """Trust assertions signed by ``account``'s key and issued by its email."""
        with self._lock:
            self.accounts[account.client_email] = account.public_key

    def status(self, token: str) -> str:
        """``"valid"``, ``"expired"`` or ``"unknown"`` for an access token."""
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if time.monotonic() < expiry else "expired"

    def mint(self) -> str:
        """Issue a valid access token directly (counted in ``issued``)."""
        token = f"ya29.fake-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = time.monotonic() + self.expires_in
            self.issued += 1
        return token

    def expire_all(self) -> None:
        """Make every token issued so far expired (the next request with one gets 401)."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def fail_next(self, status: int = 500, count: int = 1, body: dict[str, str] | None = None) -> None:
        """Answer the next ``count`` token requests with ``status`` (``body``: an OAuth error object)."""
        with self._lock:
            self._faults.extend([(status, body or {"error": "internal_failure",
                                                   "error_description": "Backend Error"})] * count)

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._faults.clear()
            self.requests.clear()
            self.issued = self.refused = 0

    async def handle(self, request: Request) -> Response:
        """``POST /token``: the JWT-bearer grant, answered like Google's token endpoint."""
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        with self._lock:
            self.requests.append(fields)
            fault = self._faults.popleft() if self._faults else None
        if fault is not None:
            return json_response(fault[1], fault[0])
        try:
            self._check(fields)
        except GrantError as exc:
            error, description = exc.args
            with self._lock:
                self.refused += 1
            return json_response({"error": error, "error_description": description},
                                 401 if error == "invalid_client" else 400)
        return json_response({"access_token": self.mint(), "expires_in": self.expires_in, "token_type": "Bearer"})

    def _check(self, fields: dict[str, str]) -> None:
        if fields.get("grant_type") != JWT_BEARER:
            raise GrantError("unsupported_grant_type", "Invalid grant_type: " + fields.get("grant_type", ""))
        header, claims, signing_input, signature = self._parse(fields.get("assertion", ""))
        if header.get("alg") != "RS256":
            raise GrantError("invalid_grant", "Invalid JWT: only RS256 is accepted.")
        with self._lock:
            public_key = self.accounts.get(str(claims.get("iss")))
        if public_key is None:
            raise GrantError("invalid_client", "The OAuth client was not found.")
        try:
            public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise GrantError("invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("aud") not in (self.token_uri, GOOGLE_TOKEN_URI):
            raise GrantError("invalid_grant", f"Invalid JWT: audience {claims.get('aud')!r} is not the token URI.")
        if self.scope not in str(claims.get("scope", "")).split():
            raise GrantError("invalid_scope", f"The assertion does not ask for {self.scope}.")
        now, iat, exp = time.time(), claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or not (
                iat - SKEW <= now < exp + SKEW and 0 < exp - iat <= MAX_LIFETIME):
            raise GrantError("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in "
                                              "a reasonable timeframe. Check your iat and exp values in the JWT claim.")

    @staticmethod
    def _parse(assertion: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
        try:
            head, body, sig = assertion.split(".")
            header, claims = json.loads(_unb64(head)), json.loads(_unb64(body))
            signature = _unb64(sig)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise GrantError("invalid_grant", "Invalid JWT: not a signed JWT.") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise GrantError("invalid_grant", "Invalid JWT: not a signed JWT.")
        return header, claims, f"{head}.{body}".encode("ascii"), signature


class FakeGoogleOAuth:
    """A token endpoint alone on its own port: ``POST /token``; ``token_uri`` once started."""

    def __init__(self, *, expires_in: int = 3600, scope: str = CLOUD_PLATFORM) -> None:
        self.issuer = TokenIssuer(expires_in=expires_in, scope=scope)
        self.server = ThreadedServer(Starlette(routes=[Route("/token", self.issuer.handle, methods=["POST"])]),
                                     "fake-google-oauth")
        self.origin = self.token_uri = ""

    def __enter__(self) -> FakeGoogleOAuth:
        self.origin = self.server.start()
        self.token_uri = self.issuer.token_uri = f"{self.origin}/token"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop()
