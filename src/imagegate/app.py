"""The FastAPI app factory: settings in, routes and the gateway's lifespan wired up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import __version__, errors
from .api import admin, admin_channels, files, health, images, jobs, metrics, models, openapi, usage
from .api.observe import Observe
from .bootstrap import Services, start
from .config import Settings, load_settings
from .fields import FieldTable
from .maintenance import Loader
from .providers.registry import Registry
from .routing import config_problem, field_table

log = logging.getLogger("imagegate")


def _on_sighup(services: Services) -> None:
    """SIGHUP reloads the channels, like ``POST /admin/reload``; a bad file is logged and ignored."""
    async def reload() -> None:
        try:
            await services.reloader.reload()
        except (ValueError, FileNotFoundError) as exc:
            log.error("configuration not reloaded: %s", config_problem(exc))

    services.tasks.append(asyncio.get_running_loop().create_task(reload(), name="sighup-reload"))


def create_app(settings: Settings, load: Loader | None = None, environ: Mapping[str, str] | None = None) -> FastAPI:
    """The app for ``settings``; ``load`` is how a reload reads the configuration again, ``environ`` where the
    providers' own key variables are read (default: this process's environment)."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = services = await start(settings, load, environ)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            loop.add_signal_handler(signal.SIGHUP, _on_sighup, services)
        try:
            yield
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            await services.close()

    app = FastAPI(title="imagegate", version=__version__, lifespan=lifespan,
                  description="An OpenAI-compatible image API gateway.")
    errors.install(app)
    app.add_middleware(Observe)
    for module in (jobs, images, models, usage, files, admin, admin_channels, health, metrics):
        app.include_router(module.router)

    def fields() -> FieldTable:
        """The running gateway's field table; before start, the one its settings would build."""
        services: Services | None = getattr(app.state, "services", None)
        return services.fields if services is not None else field_table(Registry.load(settings.provider_modules))

    openapi.install(app, fields)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and worker processes: settings from file and environment."""
    return create_app(load_settings())
