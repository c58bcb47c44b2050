"""``imagegate channels``' one GET: rows, the gateway's refusal, redirects not followed, nobody there."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from imagegate.cli.channel_table import AdminError, Unreachable, fetch, table

ROW = {"name": "primary", "provider": "openai", "priority": 0, "weight": 1, "state": "healthy", "in_flight": 0,
       "max_concurrency": None, "recent": {"requests": 0}, "models": ["dall-e-2"]}


class Admin(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.headers.get("Authorization") != "Bearer ig-master":
            self._answer(401, {"error": {"message": "bad key"}})
        elif self.path == "/moved/admin/channels":
            self.send_response(302)
            self.send_header("Location", "/admin/channels")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._answer(200, {"data": [ROW]})

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def admin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Admin)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rows_from_the_gateway(admin: str) -> None:
    rows = fetch(admin + "/", "ig-master")
    assert rows == [ROW]
    assert table(rows).splitlines()[1].split()[:5] == ["primary", "openai", "0", "1", "healthy"]


def test_a_refusal_names_the_status_and_the_gateways_message(admin: str) -> None:
    with pytest.raises(AdminError, match="answered 401: bad key"):
        fetch(admin, "ig-wrong")


def test_redirects_are_not_followed(admin: str) -> None:
    with pytest.raises(AdminError, match="answered 302"):
        fetch(f"{admin}/moved", "ig-master")


def test_nobody_there_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        port = sock.getsockname()[1]
        with pytest.raises(Unreachable):
            fetch(f"http://127.0.0.1:{port}", None)


def test_only_http_urls() -> None:
    with pytest.raises(AdminError, match="not an http"):
        fetch("file:///etc", None)
