"""Helpers for multi-channel end-to-end tests: config files, waiting on observable state, metrics, logs, usage."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any, Protocol

import orjson

from tests.e2e.helpers import wait_for
from tests.harness import Gateway

IMAGE_MODELS = ("gpt-image-1", "dall-e-2", "dall-e-3")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(v)}' for k, v in value.items()) + " }"
    return str(value)


class Upstream(Protocol):
    """What a channel needs of a fake upstream: where it serves the API and the key it takes."""

    @property
    def base_url(self) -> str: ...

    @property
    def api_key(self) -> str: ...


def channel(name: str, fake: Upstream, models: Any = IMAGE_MODELS, **fields: Any) -> str:
    """One ``[[channels]]`` table for ``fake``; ``fields`` add keys (``provider``, ``priority``, ...) or override
    ``base_url`` and ``api_key``."""
    values = {"name": name, "base_url": fake.base_url, "api_key": fake.api_key, "models": list(models)
              if isinstance(models, tuple) else models, **fields}
    return "[[channels]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in values.items())


def write_config(path: Path, *channels: str, **settings: Any) -> Path:
    top = "".join(f"{k} = {toml_value(v)}\n" for k, v in settings.items() if not isinstance(v, dict))
    tables = "".join(f"[{k}]\n" + "".join(f"{kk} = {toml_value(vv)}\n" for kk, vv in v.items())
                     for k, v in settings.items() if isinstance(v, dict))
    path.write_text(top + "\n".join(channels) + tables)
    return path


def channel_state(gateway: Gateway, name: str) -> dict[str, Any]:
    with gateway.http() as http:
        response = http.get(f"/admin/channels/{name}")
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


def only_channel(gateway: Gateway) -> dict[str, Any]:
    """The admin view of the gateway's one channel."""
    with gateway.http() as http:
        (state,) = http.get("/admin/channels").json()["data"]
    assert isinstance(state, dict), state
    return state


def metric(gateway: Gateway, name: str, **labels: str) -> float:
    """One sample from ``/metrics`` (0 when the series does not exist yet); its ``node`` label is not compared
    unless asked for."""
    with gateway.http() as http:
        text = http.get("/metrics").text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        given = [pair for pair in (match[2] or "").split(",") if "node" in labels or not pair.startswith("node=")] \
            if match else []
        if match and match[1] == name and ",".join(sorted(given)) == wanted:
            return float(match[3])
    return 0.0


def log_lines(gateway: Gateway, request_id: str | None = None) -> list[dict[str, Any]]:
    lines = []
    for raw in gateway.log.read_text().splitlines():
        if raw.startswith("{"):
            line = orjson.loads(raw)
            if request_id is None or line.get("request_id") == request_id:
                lines.append(line)
    return lines


def access_line(gateway: Gateway, request_id: str) -> dict[str, Any]:
    """The access line of a request, once it is written."""
    def find() -> dict[str, Any] | None:
        return next((line for line in log_lines(gateway, request_id) if line["logger"] == "imagegate.access"), None)
    line: dict[str, Any] = wait_for(find, f"the access line of {request_id}")
    return line


def usage_rows(gateway: Gateway, request_id: str) -> int:
    """Usage rows of successful answers (a failed request's row records its status at price 0)."""
    with sqlite3.connect(gateway.data_dir / "imagegate.db") as db:
        (count,) = db.execute("select count(*) from usage where request_id = ? and status = 200",
                              (request_id,)).fetchone()
    return int(count)


def charges(gateway: Gateway, request_id: str) -> list[tuple[int, int]]:
    """(status, price in micro-dollars) of every usage row of a request."""
    with sqlite3.connect(gateway.data_dir / "imagegate.db") as db:
        rows = db.execute("select status, price_micros from usage where request_id = ?", (request_id,)).fetchall()
    return [(int(status), int(price)) for status, price in rows]


def named_key(gateway: Gateway, name: str) -> str:
    """A new key called ``name`` (the admin usage report finds its rows by that name)."""
    with gateway.http() as http:
        key: str = http.post("/admin/keys", json={"name": name}).json()["key"]
    return key


def usage_line(gateway: Gateway, key_name: str, model: str) -> dict[str, Any]:
    """The one line for ``model`` in the admin usage report, by model, of the key called ``key_name``."""
    with gateway.http() as http:
        report = http.get("/admin/usage", params={"by": "model", "key": key_name}).json()
    (line,) = [row for row in report["data"] if row["group"] == model]
    assert isinstance(line, dict), line
    return line


def reload(gateway: Gateway) -> dict[str, Any]:
    with gateway.http() as http:
        response = http.post("/admin/reload")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
