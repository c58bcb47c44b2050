"""``/admin/channels`` and ``/admin/reload`` (master key only): channel state, and reloading channels."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ..errors import InvalidRequest, NotFound
from ..routing import config_problem
from ..schema import ChannelList, ChannelObject, Reloaded, error_responses
from .deps import MasterDep, ReloaderDep, RoutingDep, json_response

router = APIRouter(prefix="/admin", tags=["admin"])
ERRORS = error_responses(401, 403, 503)


@router.get("/channels", response_model=ChannelList, responses=ERRORS)
async def list_channels(routing: RoutingDep, _: MasterDep) -> Response:
    """Every channel: its configuration, state, in-flight calls, recent error rate and latency."""
    return json_response({"object": "list", "data": routing.router.describe()})


@router.get("/channels/{name}", response_model=ChannelObject, responses=error_responses(401, 403, 404, 503))
async def get_channel(name: str, routing: RoutingDep, _: MasterDep) -> Response:
    for channel in routing.router.describe():
        if channel["name"] == name:
            return json_response(channel)
    raise NotFound(f"No channel is named '{name}'.", param="name", code="channel_not_found")


@router.post("/reload", response_model=Reloaded, responses=error_responses(400, 401, 403, 503))
async def reload(reloader: ReloaderDep, _: MasterDep) -> Response:
    """Re-read channels, models and failover settings; running requests finish on the old channels."""
    try:
        summary = await reloader.reload()
    except (ValueError, FileNotFoundError) as exc:  # ConfigError, pydantic's and TOML's errors are ValueErrors
        raise InvalidRequest(f"The configuration was not reloaded: {config_problem(exc)}",
                             code="invalid_config") from None
    return json_response({"reloaded": True, **summary})
