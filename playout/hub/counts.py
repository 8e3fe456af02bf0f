"""Keeping ``daily_counts`` equal to what the airings say, in the upload's transaction.

For each airing the batch will really change (a new row, or a higher revision), the old row's
status and airtime are taken off its (day, campaign) and the new row's added. Uploads of one
station are serialised by its row lock, so the read and the change cannot interleave; fallback
airings are not campaign airings and are not counted (as in the station report).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, Text, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert

from playout.hub.rows import AiringIn
from playout.hub.schema import COUNTED, airings, daily_counts
from playout.store.models import Trigger

FALLBACK = Trigger.FALLBACK.value

REBUILD = text(
    """
    INSERT INTO daily_counts
    SELECT station_id, day, campaign,
           count(*) FILTER (WHERE status = 'completed'),
           count(*) FILTER (WHERE status = 'interrupted'),
           count(*) FILTER (WHERE status = 'failed'),
           count(*) FILTER (WHERE status = 'missed'),
           count(*) FILTER (WHERE status = 'skipped'),
           count(*) FILTER (WHERE status = 'playing'),
           coalesce(sum(played_ms), 0)
    FROM airings
    WHERE trigger <> 'fallback' AND day >= :first AND day <= :last
    GROUP BY station_id, day, campaign
    """
)


OLD_ROWS = select(
    airings.c.airing_id,
    airings.c.day,
    airings.c.revision,
    airings.c.campaign,
    airings.c.status,
    airings.c.played_ms,
    airings.c.trigger,
).where(
    airings.c.station_id == bindparam("sid"),
    airings.c.day >= bindparam("first"),
    airings.c.day <= bindparam("last"),
    airings.c.airing_id == any_(bindparam("ids", type_=ARRAY(Text))),
)

_add = insert(daily_counts)
ADD_COUNTS = _add.on_conflict_do_update(
    index_elements=["station_id", "day", "campaign"],
    set_={name: daily_counts.c[name] + _add.excluded[name] for name in (*COUNTED, "played_ms")},
)


def rebuild(conn: Connection, first: date, last: date) -> None:
    """Recount a period from the airings (after a bulk load, or to repair)."""
    conn.execute(
        daily_counts.delete().where(daily_counts.c.day >= first, daily_counts.c.day <= last)
    )
    conn.execute(REBUILD, {"first": first, "last": last})


def apply_deltas(conn: Connection, station_id: str, new: list[tuple[int, AiringIn]]) -> None:
    if not new:
        return
    ids = sorted({r.airing_id for _, r in new})
    days = [r.day for _, r in new]
    old = {
        (row.airing_id, row.day): row
        for row in conn.execute(
            OLD_ROWS,
            {"sid": station_id, "first": min(days), "last": max(days), "ids": ids},
        )
    }
    delta: dict[tuple[date, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for seq, r in new:
        before = old.get((r.airing_id, r.day))
        if before is not None:
            if before.revision >= seq:
                continue  # the upsert will not change this row
            if before.trigger != FALLBACK:
                d = delta[(before.day, before.campaign)]
                d[before.status] -= 1
                d["played_ms"] -= before.played_ms
        if r.trigger.value != FALLBACK:
            d = delta[(r.day, r.campaign)]
            d[r.status.value] += 1
            d["played_ms"] += r.played_ms
    rows: list[dict[str, Any]] = []
    for (day, campaign), d in delta.items():
        if any(d.values()):
            row: dict[str, Any] = {"station_id": station_id, "day": day, "campaign": campaign}
            row.update({name: d.get(name, 0) for name in (*COUNTED, "played_ms")})
            rows.append(row)
    if not rows:
        return
    stmt = insert(daily_counts)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["station_id", "day", "campaign"],
            set_={
                name: daily_counts.c[name] + stmt.excluded[name] for name in (*COUNTED, "played_ms")
            },
        ),
        rows,
    )
