"""The web console at ``/console``: sign-in, overview, keys, channels, usage log,
jobs and prices (see the README's "Console" section).

Server-rendered Jinja2 pages with htmx for the live parts; every asset ships in the package
(``static/vendor/README.md`` says where each file comes from). ``IMAGEGATE_CONSOLE=false`` leaves it out.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from . import channels, jobs, keys, overview, pages, playground, prices, usage
from .proxy import Proxy
from .render import HERE, bad_csrf, not_operator, signed_out
from .session import BadCsrf, NotOperator, SignedOut


def install(app: FastAPI) -> None:
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.mount("/console/proxy", Proxy(app), name="console-proxy")
    for module in (pages, overview, keys, channels, usage, jobs, prices, playground):
        app.include_router(module.router)
    app.add_exception_handler(SignedOut, signed_out)
    app.add_exception_handler(NotOperator, not_operator)
    app.add_exception_handler(BadCsrf, bad_csrf)
