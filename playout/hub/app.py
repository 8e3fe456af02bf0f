"""The hub's HTTP server (FastAPI on uvicorn): the upload API, and the dashboard (``web/``).

Every request body is read with a limit (declared and actual length, and again after gzip),
so a hostile or broken client gets a 4xx and the hub's memory stays bounded. The token names
the station; a station id in the body is only checked against it.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool

from playout.clock import Clock
from playout.hub.auth import station_for_token
from playout.hub.body import read_limited
from playout.hub.bundle_api import add_bundle_routes
from playout.hub.storage import Partitions, WrongStation, store_batch
from playout.hub.web.pages import DashboardSettings, add_dashboard
from playout.schedule.model import ReportSettings
from playout.sync.protocol import PROTOCOL, UPLOAD_PATH

log = logging.getLogger("playout.hub")


@dataclass(frozen=True)
class Limits:
    wire_bytes: int = 8 << 20  # request body as sent (gzip or not)
    json_bytes: int = 16 << 20  # after gzip
    rows: int = 5000  # rows in one batch
    writers: int = 8  # batches stored at once (at most the database pool)
    queue: int = 200  # batches waiting for a writer before the hub answers 503 "busy"
    parsers: int = 2  # batches decoded at once (on threads, never on the event loop)
    values: int = 400_000  # JSON values in one batch (a month of a station holds ~50,000)


def _inflate(body: bytes, encoding: str, limits: Limits) -> bytes:
    """The batch as sent, un-gzipped, within ``limits.json_bytes`` (on a worker thread)."""
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            body = inflater.decompress(body, limits.json_bytes + 1)
        except zlib.error as exc:
            raise HTTPException(400, f"the body is not valid gzip: {exc}") from None
        if len(body) > limits.json_bytes or inflater.unconsumed_tail:
            raise HTTPException(413, f"the batch is larger than {limits.json_bytes} bytes")
    elif encoding != "identity":
        raise HTTPException(415, f"unsupported content encoding {encoding!r}; use gzip")
    elif len(body) > limits.json_bytes:
        raise HTTPException(413, f"the batch is larger than {limits.json_bytes} bytes")
    return body


def _decode(body: bytes, encoding: str, limits: Limits) -> Any:
    """The batch, decoded within a CPU budget: JSON holding more values than a batch of
    ``limits.rows`` rows can (its separators counted first, at memory speed) is refused before
    it is parsed; parsing holds the interpreter, so its cost must stay small."""
    text = _inflate(body, encoding, limits)
    values = text.count(b",") + text.count(b":")
    if values > limits.values:
        raise HTTPException(413, f"the batch holds more than {limits.values} values")
    return _parse_json(text)


def _parse_json(body: bytes) -> Any:
    """The batch's JSON; 400 for anything else (nested too deep for the parser included)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise HTTPException(400, f"the body is not JSON: {str(exc)[:200]}") from None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def create_app(
    engine: Engine,
    clock: Clock,
    limits: Limits | None = None,
    dashboard: DashboardSettings | None = None,
) -> FastAPI:
    """The upload API (``/api/v1``) and the web dashboard (every other path)."""
    limits = limits or Limits()
    partitions = Partitions()
    writers = anyio.CapacityLimiter(limits.writers)
    parsers = anyio.CapacityLimiter(limits.parsers)
    app = FastAPI(title="playout hub", docs_url=None, redoc_url=None, openapi_url=None)

    async def authenticated(request: Request) -> str:
        token = _bearer(request)
        station = (
            await run_in_threadpool(station_for_token, engine, token) if token is not None else None
        )
        if station is None:
            client = request.client.host if request.client else "?"
            log.warning("refused %s from %s: missing, wrong or revoked token", request.url, client)
            raise HTTPException(
                401,
                "missing, wrong or revoked token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return station

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", getattr(exc, "orig", exc))
        return JSONResponse(
            {"detail": "the hub's database is unavailable; try again later"},
            status_code=503,
            headers={"Retry-After": "30"},
        )

    @app.get("/api/v1/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "protocol": PROTOCOL}

    @app.post(UPLOAD_PATH)
    async def upload(request: Request) -> dict[str, Any]:
        station_id = await authenticated(request)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise HTTPException(415, "send the batch as application/json")
        body = await read_limited(request, limits.wire_bytes)
        encoding = request.headers.get("content-encoding", "identity").lower()
        # off the event loop, a few at a time: a 16 MiB batch takes a CPU for a while, and the
        # loop must go on answering (health checks, other stations, the dashboard)
        payload = await anyio.to_thread.run_sync(_decode, body, encoding, limits, limiter=parsers)
        if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list):
            raise HTTPException(400, "the body has no 'rows' list")
        if payload.get("protocol") != PROTOCOL:
            raise HTTPException(400, f"protocol {payload.get('protocol')!r}; this hub speaks 1")
        rows: list[Any] = payload["rows"]
        if len(rows) > limits.rows:
            raise HTTPException(413, f"{len(rows)} rows in one batch; at most {limits.rows}")
        sent = payload.get("station")
        about: dict[str, Any] = sent if isinstance(sent, dict) else {}
        if about.get("id", station_id) != station_id:
            log.warning("station %s sent a batch for %r: refused", station_id, about.get("id"))
            raise HTTPException(403, "this token belongs to another station")
        timezone = about.get("timezone")
        try:
            ZoneInfo(str(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            timezone = None
        if writers.statistics().tasks_waiting >= limits.queue:
            raise HTTPException(503, "the hub is busy; try again later", {"Retry-After": "60"})
        store = partial(
            store_batch,
            engine,
            partitions,
            station_id,
            rows,
            timezone=timezone,
            software=str(about.get("software", "")),
            now=clock.now(),
        )
        try:
            stored = await anyio.to_thread.run_sync(store, limiter=writers)
        except WrongStation as exc:
            log.warning("station %s: %s: batch refused", station_id, exc)
            raise HTTPException(403, f"{exc}; a station can write only its own rows") from None
        return stored.as_dict()

    add_bundle_routes(app, engine, clock, authenticated)
    add_dashboard(app, engine, clock, dashboard or DashboardSettings())
    return app


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


def app_from_environment() -> FastAPI:
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
