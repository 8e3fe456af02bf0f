"""Station tokens: made once, shown once, stored only as a hash.

Tokens are 256 random bits, so a fast hash (SHA-256) is enough to make a stolen table useless and
lets the hub find the station by the hash in one indexed lookup per request (a slow password
hash such as argon2 is for low-entropy secrets that people choose).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from playout.hub.compiled import Compiled
from playout.hub.schema import stations
from playout.problems import PlayoutError, did_you_mean

TOKEN_PREFIX = "pot_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class StationInfo:
    id: str
    name: str
    area: str
    province: str
    timezone: str
    created_at: datetime
    last_contact: datetime | None
    revoked_at: datetime | None
    acked_seq: int
    software: str
    removed_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.__dict__.items()
        }


BY_TOKEN = Compiled(
    select(stations.c.id, stations.c.revoked_at).where(stations.c.token_hash == bindparam("h"))
)


def station_for_token(engine: Engine, token: str) -> str | None:
    """The id of the live station this token belongs to, or None."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        rows = BY_TOKEN.rows(conn, {"h": token_hash(token)})  # one round trip: no BEGIN
    if not rows or rows[0].revoked_at is not None:
        return None
    return str(rows[0].id)


def add_station(
    engine: Engine,
    station_id: str,
    *,
    name: str,
    area: str,
    province: str,
    timezone: str,
    now: datetime,
) -> str:
    """Register a station; returns its token (the only time it is ever shown)."""
    token = new_token()
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(stations).values(
                    id=station_id,
                    name=name,
                    area=area,
                    province=province,
                    timezone=timezone,
                    token_hash=token_hash(token),
                    token_set_at=now,
                    created_at=now,
                    acked_seq=0,
                    software="",
                )
            )
    except IntegrityError as exc:
        raise PlayoutError(
            f"station {station_id} is already registered",
            f"to give it a new token: playout hub station rotate {station_id}",
        ) from exc
    return token


def list_stations(engine: Engine) -> list[StationInfo]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                stations.c.id,
                stations.c.name,
                stations.c.area,
                stations.c.province,
                stations.c.timezone,
                stations.c.created_at,
                stations.c.last_contact,
                stations.c.revoked_at,
                stations.c.acked_seq,
                stations.c.software,
                stations.c.removed_at,
            ).order_by(stations.c.province, stations.c.area, stations.c.id)
        )
        return [StationInfo(**row._asdict()) for row in rows]


def _known(engine: Engine, station_id: str) -> None:
    ids = [s.id for s in list_stations(engine)]
    if station_id not in ids:
        raise PlayoutError(
            f"there is no station {station_id} on this hub", did_you_mean(station_id, ids)
        )


def rotate_token(engine: Engine, station_id: str, now: datetime) -> str:
    """A new token for the station (the old one stops working at once); also un-revokes."""
    _known(engine, station_id)
    token = new_token()
    with engine.begin() as conn:
        conn.execute(
            update(stations)
            .where(stations.c.id == station_id)
            .values(token_hash=token_hash(token), token_set_at=now, revoked_at=None)
        )
    return token


def revoke(engine: Engine, station_id: str, now: datetime) -> None:
    _known(engine, station_id)
    with engine.begin() as conn:
        conn.execute(update(stations).where(stations.c.id == station_id).values(revoked_at=now))
