"""Odd values that used to answer 500: each is now a 4xx in OpenAI's error envelope, naming what is wrong.

Unicode digits ("²" passes ``str.isdigit`` but not ``int``), digit strings too long for ``int`` or for the
database, non-ASCII link signatures, and webhook hosts that are no host names.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import check_envelope
from tests.harness import Gateway

SUPERSCRIPT_TWO = "\u00b2"


@pytest.mark.parametrize("n", [SUPERSCRIPT_TWO, "9" * 5000, "1" + SUPERSCRIPT_TWO])
@pytest.mark.parametrize("as_form", [False, True])
def test_integer_field_with_odd_digits(gateway: Gateway, n: str, as_form: bool) -> None:
    with gateway.http() as http:
        if as_form:
            response = http.post("/v1/images/variations", data={"n": n}, files={"image": ("a.png", b"x")})
        else:
            response = http.post("/v1/images/generations", json={"prompt": "p", "n": n})
    assert response.status_code == 400, response.text
    error = check_envelope(response.json())
    assert (error["param"], error["code"]) == ("n", "invalid_type")


@pytest.mark.parametrize("query", [
    {"expires": "99999999999", "signature": "\u00e9"},
    {"expires": SUPERSCRIPT_TWO, "signature": "a"},
    {"expires": "9" * 5000, "signature": "a"},
])
def test_result_link_with_odd_values(gateway: Gateway, query: dict[str, str]) -> None:
    with gateway.http(None) as http:
        response = http.get("/v1/files/images/x.png", params=query)
    assert response.status_code == 403, response.text
    assert check_envelope(response.json())["code"] == "invalid_signature"


@pytest.mark.parametrize("key", [SUPERSCRIPT_TWO, "9" * 30, str(2**31)])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_key_id_that_is_no_id(ledger: Gateway, key: str, method: str) -> None:
    """Ids past the column's range too: 2**31 is no INTEGER on PostgreSQL."""
    body: dict[str, Any] | None = {} if method == "PATCH" else None
    with ledger.http() as http:
        response = http.request(method, f"/admin/keys/{key}", json=body)
        usage = http.get("/admin/usage", params={"key": key})
    for answer in (response, usage):
        assert answer.status_code == 404, answer.text
        assert check_envelope(answer.json())["code"] == "key_not_found"


@pytest.mark.parametrize("host", ["a..b", "a" * 64 + ".example", "x" * 300, "."])
def test_webhook_host_that_is_no_host_name(gateway: Gateway, host: str) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", headers={"Prefer": "respond-async"},
                             json={"prompt": "p", "webhook_url": f"https://{host}/hook"})
    assert response.status_code == 400, response.text
    assert check_envelope(response.json())["param"] == "webhook_url"
