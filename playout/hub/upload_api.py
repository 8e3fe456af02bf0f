"""The upload endpoint: a station's batch authenticated, decoded within its limits, stored.

Every request body is read with a limit (declared and actual length, and again after gzip), so a
hostile or broken client gets a 4xx and the hub's memory stays bounded. The token names the
station; a station id in the body is only checked against it.

A routine sync (a few rows, a kilobyte) makes one trip to a worker thread: token, decoding and
storing together, so the event loop only moves bytes. A large batch (a month after an outage)
is authenticated before its body is read, decoded a few at a time, and stored by a writer.
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import anyio.to_thread
from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import Receive, Scope, Send

from playout.clock import Clock
from playout.hub.auth import station_for_token, token_hash
from playout.hub.batch import WrongStation
from playout.hub.body import read_limited
from playout.hub.storage import NoStation, Partitions, store_batch, store_routine
from playout.sync.protocol import PROTOCOL

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
    small_wire: int = 64 << 10  # a body declared this small goes in one trip to a thread ...
    small_json: int = 256 << 10  # ... if it inflates to no more than this


class _Large(Exception):
    """A body sent as small that inflates past ``Limits.small_json``: decoded as a large one."""


def _inflate(body: bytes, encoding: str, cap: int) -> bytes:
    """The batch as sent, un-gzipped; 413 past ``cap`` bytes."""
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            body = inflater.decompress(body, cap + 1)
        except zlib.error as exc:
            raise HTTPException(400, f"the body is not valid gzip: {exc}") from None
        if len(body) > cap or inflater.unconsumed_tail:
            raise HTTPException(413, f"the batch is larger than {cap} bytes")
    elif encoding != "identity":
        raise HTTPException(415, f"unsupported content encoding {encoding!r}; use gzip")
    elif len(body) > cap:
        raise HTTPException(413, f"the batch is larger than {cap} bytes")
    return body


def _parse(text: bytes, limits: Limits) -> Any:
    """The batch's JSON within a CPU budget: JSON holding more values than a batch of
    ``limits.rows`` rows can (its separators counted first, at memory speed) is refused before
    it is parsed; parsing holds the interpreter, so its cost must stay small. 400 for anything
    that is not JSON (nested too deep for the parser included)."""
    values = text.count(b",") + text.count(b":")
    if values > limits.values:
        raise HTTPException(413, f"the batch holds more than {limits.values} values")
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise HTTPException(400, f"the body is not JSON: {str(exc)[:200]}") from None


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthorized(request: Request) -> HTTPException:
    client = request.client.host if request.client else "?"
    log.warning("refused %s from %s: missing, wrong or revoked token", request.url, client)
    return HTTPException(
        401, "missing, wrong or revoked token", headers={"WWW-Authenticate": "Bearer"}
    )


@lru_cache(maxsize=256)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Batch:
    rows: list[Any]
    timezone: str | None
    software: str
    claimed: object = None  # the station id the envelope names, if it names one

    def check_station(self, station_id: str) -> None:
        """403 when the envelope names another station than the token's."""
        if self.claimed is not None and self.claimed != station_id:
            log.warning("station %s sent a batch for %r: refused", station_id, self.claimed)
            raise HTTPException(403, "this token belongs to another station")


def _batch(payload: Any, limits: Limits) -> Batch:
    """The envelope's checks: protocol, the rows list and its length."""
    if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list):
        raise HTTPException(400, "the body has no 'rows' list")
    if payload.get("protocol") != PROTOCOL:
        raise HTTPException(400, f"protocol {payload.get('protocol')!r}; this hub speaks 1")
    rows: list[Any] = payload["rows"]
    if len(rows) > limits.rows:
        raise HTTPException(413, f"{len(rows)} rows in one batch; at most {limits.rows}")
    sent = payload.get("station")
    about: dict[str, Any] = sent if isinstance(sent, dict) else {}
    timezone = about.get("timezone")
    zone = timezone if isinstance(timezone, str) and _known_zone(timezone[:60]) else None
    return Batch(rows, zone, str(about.get("software", "")), about.get("id"))


def _media_ok(content_type: str) -> None:
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json":
        raise HTTPException(415, "send the batch as application/json")


@dataclass
class Uploads:
    engine: Engine
    clock: Clock
    limits: Limits
    partitions: Partitions

    def __post_init__(self) -> None:
        self.writers = anyio.CapacityLimiter(self.limits.writers)
        self.parsers = anyio.CapacityLimiter(self.limits.parsers)

    def store(self, station_id: str, batch: Batch, now: datetime) -> dict[str, Any]:
        try:
            stored = store_batch(
                self.engine,
                self.partitions,
                station_id,
                batch.rows,
                timezone=batch.timezone,
                software=batch.software,
                now=now,
            )
        except WrongStation as exc:
            log.warning("station %s: %s: batch refused", station_id, exc)
            raise HTTPException(403, f"{exc}; a station can write only its own rows") from None
        return stored.as_dict()

    def small(
        self, token: str, content_type: str, body: bytes, encoding: str
    ) -> tuple[str, dict[str, Any] | None]:
        """A small batch in one trip, answered in the same order as a large one (401 before
        anything about the body): (station id, the answer), or (station id, None) when the
        body inflates past ``small_json`` (the caller decodes it as a large one, a few at a
        time). The token is looked up in the transaction that stores the rows."""
        try:
            _media_ok(content_type)
            try:
                text = _inflate(body, encoding, self.limits.small_json)
            except HTTPException as exc:
                if exc.status_code == 413:
                    raise _Large from None
                raise
            batch = _batch(_parse(text, self.limits), self.limits)
        except (HTTPException, _Large) as exc:
            station_id = station_for_token(self.engine, token)
            if station_id is None:
                raise _Unauthorized from None
            if isinstance(exc, _Large):
                return station_id, None
            raise
        try:
            station_id, stored = store_routine(
                self.engine,
                self.partitions,
                token_hash(token),
                batch.rows,
                check=batch.check_station,
                timezone=batch.timezone,
                software=batch.software,
                now=self.clock.now(),
            )
        except NoStation:
            raise _Unauthorized from None
        except WrongStation as exc:
            log.warning("a station's batch refused: %s", exc)
            raise HTTPException(403, f"{exc}; a station can write only its own rows") from None
        return station_id, stored.as_dict()

    def decode(self, body: bytes, encoding: str) -> Any:
        return _parse(_inflate(body, encoding, self.limits.json_bytes), self.limits)

    def busy(self) -> None:
        if self.writers.statistics().tasks_waiting >= self.limits.queue:
            raise HTTPException(503, "the hub is busy; try again later", {"Retry-After": "60"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI, on its own: the busiest path of the hub goes through no framework's routing
        and middleware (they were a third of a routine sync's CPU); errors answer as the rest
        of the API does (JSON with a ``detail``)."""
        request = Request(scope, receive)
        response: Response
        if request.method != "POST":
            response = JSONResponse({"detail": "Method Not Allowed"}, 405, {"Allow": "POST"})
        else:
            try:
                response = JSONResponse(await self.handle(request))
            except HTTPException as exc:
                response = JSONResponse({"detail": exc.detail}, exc.status_code, exc.headers)
            except (OperationalError, PoolTimeout) as exc:
                response = database_unavailable(exc)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> dict[str, Any]:
        token = bearer(request)
        if token is None:
            raise unauthorized(request)
        content_type = request.headers.get("content-type", "")
        encoding = request.headers.get("content-encoding", "identity").lower()
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) <= self.limits.small_wire:
            body = await read_limited(request, self.limits.small_wire)
            self.busy()
            try:
                station_id, answer = await anyio.to_thread.run_sync(
                    self.small, token, content_type, body, encoding, limiter=self.writers
                )
            except _Unauthorized:
                raise unauthorized(request) from None
            if answer is not None:
                return answer
        else:  # large, or of no declared length: who sends it, before a byte of it is read
            station = await anyio.to_thread.run_sync(station_for_token, self.engine, token)
            if station is None:
                raise unauthorized(request)
            station_id = station
            _media_ok(content_type)
            body = await read_limited(request, self.limits.wire_bytes)
        # off the event loop, a few at a time: a 16 MiB batch takes a CPU for a while, and the
        # loop must go on answering (health checks, other stations, the dashboard)
        payload = await anyio.to_thread.run_sync(self.decode, body, encoding, limiter=self.parsers)
        batch = _batch(payload, self.limits)
        batch.check_station(station_id)
        self.busy()
        now = self.clock.now()
        return await anyio.to_thread.run_sync(
            self.store, station_id, batch, now, limiter=self.writers
        )


def database_unavailable(exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", getattr(exc, "orig", exc))
    return JSONResponse(
        {"detail": "the hub's database is unavailable; try again later"},
        status_code=503,
        headers={"Retry-After": "30"},
    )


class _Unauthorized(Exception):
    """The token names no live station (raised on the worker thread, answered on the loop)."""
