"""Every route and dependency is a coroutine: FastAPI runs plain functions in its thread pool, a thread hop
per call on every request."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from imagegate.app import create_app
from imagegate.config import Settings


def calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from calls(sub)


def is_async(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


def api_routes(routes: Any) -> Iterator[APIRoute]:
    """Every API route, inside included routers too (however this FastAPI version wraps them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and inner is not route:
            yield from api_routes(getattr(inner, "routes", ()))


def test_routes_and_dependencies_are_async(tmp_path: Any) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    routes = list(api_routes(app.routes))
    assert routes
    sync = [f"{route.path}: {getattr(call, '__name__', call)}" for route in routes
            for call in (route.endpoint, *calls(route.dependant)) if not is_async(call)]
    assert sync == []
