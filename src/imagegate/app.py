"""The FastAPI app factory: settings in, routes and the gateway's lifespan wired up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import __version__, errors
from .api import files, health, images, models
from .config import Settings, load_settings
from .gateway import start


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = await start(settings)
        try:
            yield
        finally:
            await app.state.gateway.close()

    app = FastAPI(title="imagegate", version=__version__, lifespan=lifespan,
                  description="An OpenAI-compatible image API gateway.")
    errors.install(app)
    for module in (images, models, files, health):
        app.include_router(module.router)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and worker processes: settings from file and environment."""
    return create_app(load_settings())
