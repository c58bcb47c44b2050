"""Helpers for the FLUX end-to-end tests: SDK calls checked against OpenAI's schema, calls in a thread, usage rows."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import openai
from openai.types import ImagesResponse

from tests.e2e.helpers import wait_for
from tests.harness import Gateway
from tests.openai_schema import validate

TOKEN_FIELDS = ("input_tokens", "output_tokens", "total_tokens", "input_tokens_details")


def generate(client: openai.OpenAI, **kwargs: Any) -> dict[str, Any]:
    """Generate through the SDK; the raw JSON, after checking it parses as OpenAI's ImagesResponse."""
    return checked(client.images.with_raw_response.generate(**kwargs).http_response.json())


def gen(client: openai.OpenAI, **kwargs: object) -> object:
    """A flux-kontext-pro generation through the SDK, as it comes (for calls that must fail)."""
    return client.images.generate(model="flux-kontext-pro", prompt="p", **kwargs)  # type: ignore[arg-type]


def edit(client: openai.OpenAI, **kwargs: Any) -> dict[str, Any]:
    return checked(client.images.with_raw_response.edit(**kwargs).http_response.json())


def checked(body: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's schema holds (and the SDK's model parses): enum fields only with OpenAI's values, usage
    with its four token fields."""
    validate(body, "ImagesResponse")
    ImagesResponse.model_validate(body)
    assert "size" not in body and "quality" not in body
    assert all(name in body["usage"] for name in TOKEN_FIELDS)
    return body


def in_thread(call: Callable[[], Any]) -> Callable[[], Any]:
    """Start ``call`` in a thread; returns a function that joins it and gives its result (or raises)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed to the joining test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    def join() -> Any:
        thread.join(30)
        if "error" in box:
            raise box["error"]
        return box["result"]

    return join


def usage_row(gateway: Gateway, request_id: str) -> dict[str, Any]:
    """The usage row the gateway wrote for a request (it writes in the background)."""
    path = gateway.data_dir / "imagegate.db"
    found: list[dict[str, Any]] = []

    def present() -> bool:
        with sqlite3.connect(path) as db:
            db.row_factory = sqlite3.Row
            found[:] = [dict(r) for r in db.execute("select * from usage where request_id = ?", (request_id,))]
        return bool(found)

    wait_for(present, f"the usage row of {request_id}")
    return found[0]
