"""The FastAPI app factory: settings in, routes and the gateway's lifespan wired up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import __version__, console, errors, runtime
from .api import admin, admin_channels, files, health, images, jobs, metrics, models, openapi, usage
from .api.gate import Gate
from .api.observe import Observe
from .bootstrap import Services, start
from .config import Settings, SettingsLoader
from .extras import MissingExtra, check
from .fields import FieldTable
from .lifecycle import Lifecycle, on_sigterm
from .maintenance import Loader
from .providers.registry import Registry
from .routing import config_problem, field_table
from .tracing import Tracing

log = logging.getLogger("imagegate")


def _on_sighup(services: Services) -> None:
    """SIGHUP reloads the channels, like ``POST /admin/reload``; a bad file is logged and ignored."""
    async def reload() -> None:
        try:
            await services.reloader.reload()
        except (ValueError, FileNotFoundError) as exc:
            log.error("configuration not reloaded: %s", config_problem(exc))

    services.tasks.append(asyncio.get_running_loop().create_task(reload(), name="sighup-reload"))


def create_app(settings: Settings, loader: Loader | None = None, environ: Mapping[str, str] | None = None,
               tracing: Tracing | None = None) -> FastAPI:
    """The app serving ``settings``; ``loader`` gives the settings a reload (``/admin/reload``, SIGHUP) reads
    (without one, a reload rebuilds the channels from ``settings`` again); ``environ`` is where the providers'
    own key variables and the ``OTEL_*`` variables are read (default: this process's environment); ``tracing``
    replaces what those variables ask for."""
    tracing = tracing or _tracing(settings, os.environ if environ is None else environ)
    lifecycle = Lifecycle()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = services = await start(settings, loader, environ, lifecycle, tracing)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            loop.add_signal_handler(signal.SIGHUP, _on_sighup, services)
        restore_sigterm = on_sigterm(services.drain)
        runtime.started()
        try:
            yield
        finally:
            restore_sigterm()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            await services.close()
            tracing.shutdown()

    app = FastAPI(title="imagegate", version=__version__, lifespan=lifespan,
                  description="An OpenAI-compatible image API gateway.")
    app.state.lifecycle = lifecycle
    errors.install(app)
    app.add_middleware(Gate, lifecycle=lifecycle)
    app.add_middleware(Observe)
    tracing.install(app)
    for module in (jobs, images, models, usage, files, admin, admin_channels, health, metrics):
        app.include_router(module.router)
    if settings.console:
        console.install(app)

    def fields() -> FieldTable:
        """The running gateway's field table; before start, the one its settings would build."""
        services: Services | None = getattr(app.state, "services", None)
        return services.fields if services is not None else field_table(Registry.load(settings.provider_modules))

    openapi.install(app, fields)
    return app


def _tracing(settings: Settings, environ: Mapping[str, str]) -> Tracing:
    try:
        return Tracing.from_env(environ, settings.node_name)
    except ValueError as exc:
        raise SystemExit(f"imagegate: invalid configuration: {exc}") from None


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and worker processes: settings from the process's environment
    (and the file ``IMAGEGATE_CONFIG`` names), read again from the same place on reload.

    A configured URL whose package isn't installed stops the process with one line naming the extra."""
    runtime.tune()
    loader = SettingsLoader.at_start()
    settings = loader()
    try:
        check(settings.database_url, settings.redis_url, settings.storage_url)
    except MissingExtra as exc:
        raise SystemExit(f"imagegate: {exc}") from None
    return create_app(settings, loader)
