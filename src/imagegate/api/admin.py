"""``/admin/keys``, ``/admin/usage``: manage keys and read everyone's usage. Master key only (403
``master_key_required`` otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from starlette.responses import Response

from ..catalog import Catalog
from ..errors import InvalidRequest, NotFound
from ..ledger import Keys, KeyView
from ..ledger.limits import KeyCreate, KeyLimits, KeyUpdate
from ..ledger.reports import report
from ..schema import KeyCreated, KeyList, KeyObject, UsageReport, error_responses
from .deps import AuthDep, DatabaseDep, KeysDep, MasterDep, RoutingDep, json_response, since_time
from .present import key_object, usage_report

router = APIRouter(prefix="/admin", tags=["admin"])
ERRORS = error_responses(401, 403, 503)
KeyPath = Annotated[str, PathParam(description="The key's id, or the name of an active key.")]


def check_models(limits: KeyLimits, catalog: Catalog) -> None:
    """400 ``unknown_model`` for a model id in a key's allow-list that names no model (the console uses it too)."""
    unknown = catalog.unknown(limits.models)
    if unknown:
        raise InvalidRequest(f"Unknown model(s) in 'models': {', '.join(unknown)}.", param="models",
                             code="unknown_model")


async def _view(keys: Keys, key: str) -> KeyView:
    views = await keys.list(key)
    if not views:
        raise NotFound(f"No key with id or active name {key!r}.", param="key", code="key_not_found")
    return views[0]


@router.post("/keys", status_code=201, response_model=KeyCreated, responses=error_responses(400, 401, 403, 409, 503))
async def create_key(spec: KeyCreate, keys: KeysDep, routing: RoutingDep, _: MasterDep) -> Response:
    """Create a key. The response is the only time the key itself is shown."""
    check_models(spec, routing.catalog)
    record, key = await keys.create(spec)
    return json_response({**key_object(KeyView(record, 0, 0, 0, 0), datetime.now(UTC)), "key": key}, status=201)


@router.get("/keys", response_model=KeyList, responses=ERRORS)
async def list_keys(keys: KeysDep, _: MasterDep) -> Response:
    now = datetime.now(UTC)
    return json_response({"object": "list", "data": [key_object(v, now) for v in await keys.list()]})


@router.get("/keys/{key}", response_model=KeyObject, responses=error_responses(401, 403, 404, 503))
async def get_key(key: KeyPath, keys: KeysDep, _: MasterDep) -> Response:
    return json_response(key_object(await _view(keys, key), datetime.now(UTC)))


@router.patch("/keys/{key}", response_model=KeyObject, responses=error_responses(400, 401, 403, 404, 409, 503))
async def update_key(key: KeyPath, changes: KeyUpdate, keys: KeysDep, routing: RoutingDep, auth: AuthDep,
                     _: MasterDep) -> Response:
    """Change the fields sent; ``null`` clears a limit. A new budget counts this period's spend so far."""
    check_models(changes, routing.catalog)
    record = await keys.update(key, changes)
    auth.forget()
    return json_response(key_object(await _view(keys, str(record.id) if record else key), datetime.now(UTC)))


@router.delete("/keys/{key}", response_model=KeyObject, responses=error_responses(401, 403, 404, 503))
async def revoke_key(key: KeyPath, keys: KeysDep, auth: AuthDep, _: MasterDep) -> Response:
    """Revoke a key: it stops working at once here, within ``key_cache_ttl`` on other nodes. Its usage stays."""
    record = await keys.revoke(key)
    auth.forget()
    return json_response(key_object(await _view(keys, str(record.id) if record else key), datetime.now(UTC)))


@router.get("/usage", response_model=UsageReport, responses=error_responses(400, 401, 403, 404, 503))
async def all_usage(db: DatabaseDep, keys: KeysDep, _: MasterDep, by: Literal["model", "key", "day"] = "model",
                    key: Annotated[str | None, Query(description="A key's id or active name.")] = None,
                    since: Annotated[str | None, Query(description="A date or ISO 8601 time (UTC).")] = None,
                    ) -> Response:
    when = since_time(since)
    view = await _view(keys, key) if key is not None else None
    groups = await report(db, by, view.key.id if view else None, when)
    return json_response(usage_report(groups, by, when, view.key.name if view else None))
