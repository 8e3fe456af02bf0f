"""Stations merged into one, and the province's name over time.

Since 1 July 2025 a new commune's station is formed from the stations of the communes merged
into it. ``merge_stations`` records it: the old stations leave the lists and their tokens stop,
their rows stay; the province report credits their rows of days from the merge on to the new
station (``MAPPED``) and leaves their earlier days theirs, so a report of a month before the
merge still shows them as they were. A province merged or renamed (Long An into Tây Ninh) is a
name with the day it starts (``province_names``): a report uses the name in force on the last
day of its period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from playout.hub.schema import province_names, station_merges, stations
from playout.problems import PlayoutError, did_you_mean


@dataclass(frozen=True)
class Merge:
    old_id: str
    new_id: str
    merged_on: date


def merges(conn: Connection) -> dict[str, Merge]:
    """Every merge, by the old station's id."""
    rows = conn.execute(
        select(station_merges.c.old_id, station_merges.c.new_id, station_merges.c.merged_on)
    )
    return {r.old_id: Merge(r.old_id, r.new_id, r.merged_on) for r in rows}


def merge_stations(
    engine: Engine, olds: list[str], into: str, *, on: date, now: datetime
) -> list[str]:
    """Merge ``olds`` into ``into`` from the day ``on``: all or nothing. Returns what was done,
    a line per old station."""
    if not olds:
        raise PlayoutError(
            "name the stations to merge", "playout hub station merge OLD... --into NEW"
        )
    with engine.begin() as conn:
        rows = conn.execute(
            select(stations.c.id, stations.c.removed_at, stations.c.last_contact)
        ).all()
        known = {r.id: r for r in rows}
        done = merges(conn)
        for sid in [into, *olds]:
            if sid not in known:
                raise PlayoutError(
                    f"there is no station {sid} on this hub",
                    did_you_mean(sid, list(known))
                    if sid != into
                    else f"{did_you_mean(sid, list(known))}; register the new station first: "
                    f"playout hub station add {sid} --name ... --area ...",
                )
        if into in olds:
            raise PlayoutError(
                f"{into} is both the new station and one of the old ones",
                "name the old stations, then --into the station they form",
            )
        if known[into].removed_at is not None:
            raise PlayoutError(
                f"{into} was removed from the hub (or merged into another station)",
                "merge into a station that is on the hub",
            )
        for sid in olds:
            if sid in done:
                raise PlayoutError(
                    f"{sid} was already merged into {done[sid].new_id} "
                    f"on {done[sid].merged_on:%d/%m/%Y}",
                    "leave it out of this merge",
                )
            formed = [m.old_id for m in done.values() if m.new_id == sid]
            if formed:
                raise PlayoutError(
                    f"{sid} was itself formed from {', '.join(sorted(formed))}; merging it again "
                    "is not supported",
                    f"register {into}'s stations once, from the stations that air today",
                )
        conn.execute(
            insert(station_merges),
            [{"old_id": sid, "new_id": into, "merged_on": on, "merged_at": now} for sid in olds],
        )
        conn.execute(
            update(stations)
            .where(stations.c.id.in_(olds))
            .values(removed_at=now, revoked_at=func.coalesce(stations.c.revoked_at, now))
        )
    return [
        f"{sid} merged into {into}: its rows from {on:%d/%m/%Y} on count for {into}, "
        "its earlier days stay its own; its token stops"
        for sid in olds
    ]


def set_province_name(engine: Engine, name: str, since: date) -> None:
    if not name.strip():
        raise PlayoutError("the province's name must not be empty")
    statement = pg_insert(province_names).values(since=since, name=name.strip())
    with engine.begin() as conn:
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["since"], set_={"name": statement.excluded.name}
            )
        )


def province_names_of(engine: Engine) -> list[tuple[date, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(province_names.c.since, province_names.c.name).order_by(province_names.c.since)
        )
        return [(r.since, r.name) for r in rows]


def province_name_on(conn: Connection, day: date) -> str | None:
    """The province's name in force on ``day``, if the hub has one set."""
    return conn.scalar(
        select(province_names.c.name)
        .where(province_names.c.since <= day)
        .order_by(province_names.c.since.desc())
        .limit(1)
    )
