"""The hub's HTTP server (FastAPI on uvicorn): the station API (``/api/``) and the dashboard.

They are two applications behind one small dispatcher: the API has no cookies, sessions or
compression to run through on each of its thousands of small requests a day, and the
dashboard's middleware never sees a station's token.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from playout.clock import Clock
from playout.hub.auth import station_for_token
from playout.hub.bundle_api import add_bundle_routes
from playout.hub.storage import Partitions
from playout.hub.upload_api import (
    Limits,
    Uploads,
    bearer,
    database_unavailable,
    unauthorized,
)
from playout.hub.web.pages import DashboardSettings, add_dashboard
from playout.schedule.model import ReportSettings
from playout.sync.protocol import PROTOCOL, UPLOAD_PATH

log = logging.getLogger("playout.hub")

API_PREFIX = "/api/"


class HubApp:
    """ASGI: uploads to their endpoint, the rest of ``/api/...`` to the station API, everything
    else (lifespan included) to the dashboard."""

    def __init__(self, upload: ASGIApp, api: ASGIApp, dashboard: ASGIApp) -> None:
        self.upload = upload
        self.api = api
        self.dashboard = dashboard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == UPLOAD_PATH:
            await self.upload(scope, receive, send)
        elif scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            await self.api(scope, receive, send)
        else:
            await self.dashboard(scope, receive, send)


def _on_database_down(app: FastAPI) -> None:
    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
        return database_unavailable(exc)


def create_app(
    engine: Engine,
    clock: Clock,
    limits: Limits | None = None,
    dashboard: DashboardSettings | None = None,
) -> HubApp:
    """The station API (``/api/v1``) and the web dashboard (every other path)."""
    limits = limits or Limits()
    api = FastAPI(title="playout hub", docs_url=None, redoc_url=None, openapi_url=None)
    _on_database_down(api)

    async def authenticated(request: Request) -> str:
        token = bearer(request)
        station = (
            await run_in_threadpool(station_for_token, engine, token) if token is not None else None
        )
        if station is None:
            raise unauthorized(request)
        return station

    @api.get("/api/v1/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "protocol": PROTOCOL}

    add_bundle_routes(api, engine, clock, authenticated)
    web = FastAPI(title="playout hub", docs_url=None, redoc_url=None, openapi_url=None)
    _on_database_down(web)
    add_dashboard(web, engine, clock, dashboard or DashboardSettings())
    return HubApp(Uploads(engine, clock, limits, Partitions()), api, web)


def report_settings(env: Mapping[str, str]) -> ReportSettings:
    """The province report's header from PLAYOUT_REPORT_* (as `playout hub report` reads
    them): the body above, the number suffix, the head's title and name, the preparer."""
    return ReportSettings(
        superior=env.get("PLAYOUT_REPORT_SUPERIOR") or None,
        number=env.get("PLAYOUT_REPORT_NUMBER") or "BC-STTTT",
        head_title=env.get("PLAYOUT_REPORT_HEAD_TITLE") or None,
        head_name=env.get("PLAYOUT_REPORT_HEAD_NAME", ""),
        prepared_by=env.get("PLAYOUT_REPORT_BY", ""),
    )


def app_from_environment() -> HubApp:
    """The app of one server process (``playout hub serve`` starts one or several): the database
    URL and pool size come from PLAYOUT_HUB_DB and PLAYOUT_HUB_POOL, the dashboard's settings
    from PLAYOUT_HUB_SILENT_AFTER and PLAYOUT_HUB_REFRESH (seconds) and
    PLAYOUT_HUB_SECURE_COOKIES (1 or 0)."""
    from datetime import timedelta

    from playout.clock import SystemClock
    from playout.hub.db import engine_for

    pool = int(os.environ.get("PLAYOUT_HUB_POOL", "10"))
    engine = engine_for(os.environ["PLAYOUT_HUB_DB"], pool_size=pool, max_overflow=0)
    dashboard = DashboardSettings(
        silent_after=timedelta(seconds=float(os.environ.get("PLAYOUT_HUB_SILENT_AFTER", "1200"))),
        secure_cookies=os.environ.get("PLAYOUT_HUB_SECURE_COOKIES", "0") == "1",
        refresh=timedelta(seconds=float(os.environ.get("PLAYOUT_HUB_REFRESH", "60"))),
        report_agency=os.environ.get("PLAYOUT_REPORT_AGENCY", ""),
        report=report_settings(os.environ),
    )
    app = create_app(engine, SystemClock(), Limits(writers=max(1, pool - 2)), dashboard)
    # the start-up objects (modules, routes, templates) never die: keep them out of every
    # collection, so a full one does not walk them (it added ~150 ms to some dashboard pages)
    gc.collect()
    gc.freeze()
    return app
