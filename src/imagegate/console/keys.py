"""Keys (operator): list with spend against budget, create (the key is shown once), edit, revoke.

The forms are checked by the admin API's own models (:class:`KeyCreate`, :class:`KeyUpdate`) and
model check, and stored by :class:`imagegate.ledger.Keys`, as ``/admin/keys`` does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from ..api.admin import check_models
from ..errors import ApiError
from ..ledger.limits import KeyCreate, KeyUpdate
from .render import page
from .session import OperatorChangeDep, OperatorDep, Session, services_of

router = APIRouter(prefix="/console/keys", include_in_schema=False)
LIMIT_FIELDS = ("budget_usd", "models", "rpm", "expires_at")


def _fields(form: dict[str, Any], editing: bool) -> dict[str, Any]:
    """The form's fields as the admin API takes them. Creating, a blank field is left out; editing, it clears."""
    fields: dict[str, Any] = {"name": str(form.get("name", ""))}
    period = str(form.get("budget_period", "")).strip()
    if period:
        fields["budget_period"] = period
    for name in LIMIT_FIELDS:
        text = str(form.get(name, "")).strip()
        if not text and not editing:
            continue
        fields[name] = [m.strip() for m in text.split(",") if m.strip()] if name == "models" and text else text or None
    return fields


def _problem(exc: ValidationError | ApiError) -> str:
    if isinstance(exc, ApiError):
        return str(exc)
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors())


async def _listing(request: Request, session: Session, status: int = 200, **context: Any) -> Response:
    views = await services_of(request).keys.list()
    return page(request, "keys.html", session, status, views=views, now=datetime.now(UTC), **context)


@router.get("")
async def keys_page(request: Request, session: OperatorDep) -> Response:
    return await _listing(request, session)


@router.post("")
async def create(request: Request, session: OperatorChangeDep) -> Response:
    services = services_of(request)
    form = dict(await request.form())
    try:
        spec = KeyCreate.model_validate(_fields(form, editing=False))
        check_models(spec, services.live.current.catalog)
        record, key = await services.keys.create(spec)
    except (ValidationError, ApiError) as exc:
        return await _listing(request, session, 400, error=_problem(exc), form=form)
    response = await _listing(request, session, created=record, new_key=key)
    response.headers["cache-control"] = "no-store"
    return response


@router.post("/{key_id}/edit")
async def edit(request: Request, key_id: int, session: OperatorChangeDep) -> Response:
    services = services_of(request)
    try:
        changes = KeyUpdate.model_validate(_fields(dict(await request.form()), editing=True))
        check_models(changes, services.live.current.catalog)
        await services.keys.update(str(key_id), changes)
    except (ValidationError, ApiError) as exc:
        return await _listing(request, session, 400, error=_problem(exc))
    services.auth.forget()
    return RedirectResponse("/console/keys", 303)


@router.post("/{key_id}/revoke")
async def revoke(request: Request, key_id: int, _: OperatorChangeDep) -> Response:
    services = services_of(request)
    await services.keys.revoke(str(key_id))
    services.auth.forget()
    return RedirectResponse("/console/keys", 303)
