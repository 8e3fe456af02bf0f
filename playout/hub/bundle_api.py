"""The hub's campaign routes for stations (token auth): the bundles a station must hold, their
files by sha256 (with HTTP ranges, so a broken download resumes), and the station's word on
each bundle (applied, waiting for the operator, refused with the reason, declined, removed)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from playout.clock import Clock
from playout.hub.body import read_limited
from playout.hub.bundles import blob_for, bundles_for, read_blob, record_rollout
from playout.sync.bundle_format import BLOBS_PATH, BUNDLE_REPORT_PATH, BUNDLES_PATH

log = logging.getLogger("playout.hub")
CHUNK = 1 << 20
_RANGE = re.compile(r"^bytes=(\d{1,18})-(\d{0,18})$")  # longer numbers: past any blob
REPORT_BYTES = 64 << 10


def add_bundle_routes(
    app: FastAPI,
    engine: Engine,
    clock: Clock,
    authenticated: Callable[[Request], Awaitable[str]],
) -> None:
    @app.get(BUNDLES_PATH)
    async def wanted(request: Request) -> dict[str, Any]:
        station_id = await authenticated(request)
        return await run_in_threadpool(bundles_for, engine, station_id)

    @app.get(BLOBS_PATH + "/{sha256}")
    async def blob(request: Request, sha256: str) -> Response:
        station_id = await authenticated(request)
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise HTTPException(404, "no such file")
        size = await run_in_threadpool(blob_for, engine, station_id, sha256)
        if size is None:  # not in a bundle addressed to this station
            raise HTTPException(404, "no such file in this station's bundles")
        start, end = 0, size - 1
        status, headers = 200, {"Accept-Ranges": "bytes"}
        asked = request.headers.get("range")
        if asked is not None:
            found = _RANGE.match(asked.strip())
            if found is None or int(found[1]) >= size:
                raise HTTPException(
                    416, "range not satisfiable", {"Content-Range": f"bytes */{size}"}
                )
            start = int(found[1])
            end = min(int(found[2]), size - 1) if found[2] else size - 1
            if end < start:
                raise HTTPException(
                    416, "range not satisfiable", {"Content-Range": f"bytes */{size}"}
                )
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)

        async def chunks() -> AsyncIterator[bytes]:
            at = start
            while at <= end:
                n = min(CHUNK, end - at + 1)
                yield await run_in_threadpool(read_blob, engine, sha256, at, n)
                at += n

        return StreamingResponse(
            chunks(), status_code=status, media_type="application/octet-stream", headers=headers
        )

    @app.post(BUNDLE_REPORT_PATH)
    async def report(request: Request) -> dict[str, Any]:
        station_id = await authenticated(request)
        body = await read_limited(request, REPORT_BYTES)
        try:
            data = json.loads(body)
            await run_in_threadpool(record_rollout, engine, station_id, data, clock.now())
        except (ValueError, RecursionError) as exc:
            raise HTTPException(400, f"bad report: {str(exc)[:300]}") from None
        log.info(
            "station %s: bundle %s v%s %s %s",
            station_id, data.get("name"), data.get("version"), data.get("state"),
            data.get("reason", ""),
        )  # fmt: skip
        return {"ok": True}
