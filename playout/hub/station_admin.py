"""Keeping the hub's list of stations right: a station's name and area (an area the hub does not
know but nearly does, such as "Huyen Ben Luc" beside "Huyện Bến Lức", is refused with the
suggestion: it would split an area's figures in two), and removing a station."""

from __future__ import annotations

import difflib
import unicodedata
from datetime import datetime

from sqlalchemy import Engine, delete, func, select, update

from playout.hub import schema
from playout.hub.schema import stations
from playout.problems import PlayoutError, did_you_mean

# the tables that hold what a station sent (its history) and what is derived from it
SENT = (schema.airings, schema.day_plans, schema.daemon_runs, schema.alert_levels,
        schema.station_clips, schema.refused_rows)  # fmt: skip
DERIVED = (schema.daily_counts, schema.day_targets, schema.day_sessions, schema.rollout)


def fold(text: str) -> str:
    """``text`` without accents, case or extra spaces: "Huyện  Bến Lức" -> "huyen ben luc"."""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def known_areas(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(stations.c.area).distinct())
        return sorted(str(r[0]) for r in rows if r[0])


def check_area(engine: Engine, area: str, *, new_area: bool = False) -> None:
    """Refuse an area that is a misspelling of one the hub knows (unless ``new_area``)."""
    known = known_areas(engine)
    if not area or area in known or new_area:
        return
    by_fold = {fold(k): k for k in known}
    close = difflib.get_close_matches(fold(area), list(by_fold), n=1, cutoff=0.85)
    if close:
        raise PlayoutError(
            f'the area "{area}" is not one the hub knows, but "{by_fold[close[0]]}" is',
            f'did you mean "{by_fold[close[0]]}"? (for a new area of that name: --new-area)',
        )


def _station(engine: Engine, station_id: str) -> None:
    with engine.connect() as conn:
        ids = [str(r[0]) for r in conn.execute(select(stations.c.id))]
    if station_id not in ids:
        raise PlayoutError(
            f"there is no station {station_id} on this hub", did_you_mean(station_id, ids)
        )


def edit_station(
    engine: Engine,
    station_id: str,
    *,
    name: str | None = None,
    area: str | None = None,
    new_area: bool = False,
) -> None:
    _station(engine, station_id)
    values: dict[str, str] = {}
    if name is not None:
        if not name.strip():
            raise PlayoutError("the name must not be empty")
        values["name"] = name.strip()
    if area is not None:
        check_area(engine, area.strip(), new_area=new_area)
        values["area"] = area.strip()
    if not values:
        raise PlayoutError("nothing to change", "give --name and/or --area")
    with engine.begin() as conn:
        conn.execute(update(stations).where(stations.c.id == station_id).values(**values))


def sent_rows(engine: Engine, station_id: str) -> int:
    with engine.connect() as conn:
        return sum(
            int(conn.scalar(select(func.count()).where(t.c.station_id == station_id)) or 0)
            for t in SENT
        )


def remove_station(engine: Engine, station_id: str, *, keep_rows: bool, now: datetime) -> str:
    """Remove a station: at once when it never sent anything; with ``keep_rows`` its token
    stops and it leaves the lists, its rows staying for the reports of past months. Returns
    what was done."""
    _station(engine, station_id)
    rows = sent_rows(engine, station_id)
    if rows and not keep_rows:
        raise PlayoutError(
            f"station {station_id} has sent {rows} row(s) (airings, plans, runs): removing it "
            "would lose them",
            f"keep them for the reports of past months: playout hub station remove {station_id}"
            " --keep-rows (its token stops); or only stop its token: playout hub station revoke",
        )
    with engine.begin() as conn:
        if rows:
            conn.execute(
                update(stations)
                .where(stations.c.id == station_id)
                .values(removed_at=now, revoked_at=func.coalesce(stations.c.revoked_at, now))
            )
            return f"station {station_id} removed; its {rows} row(s) stay for the reports"
        for table in DERIVED:
            conn.execute(delete(table).where(table.c.station_id == station_id))
        conn.execute(delete(stations).where(stations.c.id == station_id))
    return f"station {station_id} removed (it had sent nothing)"
