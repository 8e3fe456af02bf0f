"""Storing airings and keeping ``daily_counts`` equal to what they say, in one statement.

For each airing the batch really changes (a new row, or a higher revision: the upsert's
``RETURNING``), the old row's status and airtime are taken off its (day, campaign) and the new
row's added. The statement's parts share one snapshot, so ``old`` is the table before the
upsert; uploads of one station are serialised by its row lock (taken first, in the same
transaction), so no other upload of it can change the rows in between. Fallback airings are not
campaign airings and are not counted (as in the station report).

The rows come as one JSON value (a routine sync: one round trip for any number of rows)
or from the upload's staging table (after COPY, for a month's batch): the same statement.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from psycopg import RawCursor, sql
from sqlalchemy import Connection, text

from playout.hub.compiled import DIALECT
from playout.hub.schema import COUNTED, airings, daily_counts
from playout.store.models import Trigger

FALLBACK = Trigger.FALLBACK.value
KEYS = ("station_id", "airing_id", "day")

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


def rebuild(conn: Connection, first: date, last: date) -> None:
    """Recount a period from the airings (after a bulk load, or to repair)."""
    conn.execute(
        daily_counts.delete().where(daily_counts.c.day >= first, daily_counts.c.day <= last)
    )
    conn.execute(REBUILD, {"first": first, "last": last})


def _upsert_counting(columns: tuple[str, ...], source: sql.Composable) -> sql.Composed:
    """INSERT ... ON CONFLICT DO UPDATE (a higher revision only) of the airings from
    ``source``, and the changes it made added to ``daily_counts``."""
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns if c not in KEYS
    )
    totals = [
        sql.SQL("coalesce(sum(sign) FILTER (WHERE status = {}), 0)").format(sql.Literal(name))
        for name in COUNTED
    ] + [sql.SQL("coalesce(sum(sign * played_ms), 0)")]
    sums = sql.SQL(", ").join(totals)
    moved = sql.SQL(" OR ").join(sql.SQL("{} <> 0").format(t) for t in totals)
    counted = sql.SQL(", ").join(sql.Identifier(c) for c in (*COUNTED, "played_ms"))
    adds = sql.SQL(", ").join(
        sql.SQL("{0} = d.{0} + EXCLUDED.{0}").format(sql.Identifier(c))
        for c in (*COUNTED, "played_ms")
    )
    return sql.SQL(
        """
        WITH incoming AS ({source}),
        old AS (
            SELECT a.airing_id, a.day, a.campaign, a.status, a.played_ms, a.trigger
            FROM {airings} a JOIN incoming i
              ON a.station_id = i.station_id AND a.airing_id = i.airing_id AND a.day = i.day
        ),
        changed AS (
            INSERT INTO {airings} AS t ({names}) SELECT {names} FROM incoming
            ON CONFLICT (station_id, airing_id, day) DO UPDATE SET {updates}
            WHERE EXCLUDED.revision > t.revision
            RETURNING t.station_id, t.airing_id, t.day, t.campaign, t.status, t.played_ms,
                      t.trigger
        ),
        delta AS (
            SELECT c.station_id, c.day, c.campaign, c.status, c.played_ms, 1 AS sign
            FROM changed c WHERE c.trigger <> {fallback}
            UNION ALL
            SELECT c.station_id, o.day, o.campaign, o.status, o.played_ms, -1
            FROM old o JOIN changed c USING (airing_id, day) WHERE o.trigger <> {fallback}
        )
        INSERT INTO {counts} AS d (station_id, day, campaign, {counted})
        SELECT station_id, day, campaign, {sums}
        FROM delta GROUP BY station_id, day, campaign HAVING {moved}
        ON CONFLICT (station_id, day, campaign) DO UPDATE SET {adds}
        """
    ).format(
        source=source,
        airings=sql.Identifier(airings.name),
        counts=sql.Identifier(daily_counts.name),
        names=names,
        updates=updates,
        fallback=sql.Literal(FALLBACK),
        counted=counted,
        sums=sums,
        moved=moved,
        adds=adds,
    )


def _recordset(columns: tuple[str, ...]) -> sql.Composed:
    """The rows as one JSON array parameter (``$1``), typed from the schema: one value to
    send, where an array per column cost psycopg a type lookup per element."""
    defs = sql.SQL(", ").join(
        sql.SQL("{} {}").format(
            sql.Identifier(c), sql.SQL(airings.c[c].type.compile(dialect=DIALECT))
        )
        for c in columns
    )
    return sql.SQL("SELECT * FROM json_to_recordset($1::json) AS i ({})").format(defs)


def _json_value(value: Any) -> str:
    if isinstance(value, date):  # datetimes too: ISO 8601 with the offset
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


class AiringStore:
    """The statement for one set of columns (the upload's airing fields), built once."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        # rendered once (names are quoted without a connection), with a server-side placeholder
        # (``$1``): sent as it is by a raw cursor, which psycopg then prepares
        self.statement = _upsert_counting(columns, _recordset(columns)).as_bytes(None)

    def store(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Store ``rows`` (dicts with every column), sent as one JSON value: one statement,
        one round trip, however many rows."""
        raw = conn.connection.driver_connection
        assert raw is not None
        data = json.dumps([{c: row[c] for c in self.columns} for row in rows], default=_json_value)
        with RawCursor(raw) as cur:
            cur.execute(self.statement, (data,))
