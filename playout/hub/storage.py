"""Storing an upload: one transaction per batch, upserts that only move a row forward.

Each table is keyed by (station id, the row's natural key). The station's ``sync_seq`` is the
row's revision: ``ON CONFLICT ... DO UPDATE ... WHERE excluded.revision > revision``, so a batch
sent twice, or an old copy arriving late, changes nothing. Rows are de-duplicated within the
batch first (PostgreSQL refuses to update one row twice in one statement).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Engine, Table, Text, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from playout.hub import schema
from playout.hub.batch import (
    Sorted,
    acked_seq,
    months_of,
    seq_of,
    sort_rows,
    storable,
    storable_json,
)
from playout.hub.compiled import Compiled
from playout.hub.counts import AiringStore
from playout.hub.rows import MODELS, DayPlanIn, _Row

log = logging.getLogger("playout.hub")


@dataclass
class Stored:
    acked_seq: int
    stored: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"acked_seq": self.acked_seq, "stored": self.stored, "refused": self.refused}


class Partitions:
    """Monthly partitions of ``airings``, made on first use (cached per hub process)."""

    def __init__(self) -> None:
        self.known: set[tuple[int, int]] = set()

    def ensure(self, engine: Engine, months: set[tuple[int, int]]) -> None:
        missing = months - self.known
        if not missing:
            return
        # its own short transaction: creating a partition locks the parent table briefly
        with engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(8750)))
            for year, month in sorted(missing):
                first = date(year, month, 1)
                after = date(year + (month == 12), month % 12 + 1, 1)
                name = f"airings_{year:04d}_{month:02d}"  # from two integers: safe as a name
                exists = conn.execute(select(func.to_regclass(name))).scalar()
                if exists is None:
                    conn.execute(
                        text(
                            f"CREATE TABLE {name} PARTITION OF airings "
                            f"FOR VALUES FROM ('{first}') TO ('{after}')"
                        )
                    )
        self.known |= missing


# statements built once (the hot path of every upload builds none)
TOUCH_STATION = Compiled(
    update(schema.stations)
    .where(schema.stations.c.id == bindparam("sid"))
    .values(
        last_contact=bindparam("now"),
        acked_seq=func.greatest(schema.stations.c.acked_seq, bindparam("acked")),
        software=bindparam("software"),
        timezone=func.coalesce(bindparam("tz", type_=Text), schema.stations.c.timezone),
    )
)

# a routine sync's first statement: the token's live station found, touched and locked at once
TOUCH_BY_TOKEN = Compiled(
    update(schema.stations)
    .where(
        schema.stations.c.token_hash == bindparam("h"),
        schema.stations.c.revoked_at.is_(None),
    )
    .values(
        last_contact=bindparam("now"),
        acked_seq=func.greatest(schema.stations.c.acked_seq, bindparam("acked")),
        software=bindparam("software"),
        timezone=func.coalesce(bindparam("tz", type_=Text), schema.stations.c.timezone),
    )
    .returning(schema.stations.c.id)
)

SMALL = 50  # rows: below this an executemany in one pipeline beats COPY's extra round trips


def _upsert(conn: Connection, name: str, rows: list[dict[str, Any]]) -> None:
    """Upsert: a row changes only when its revision is higher than the stored one."""
    table, keys = TARGETS[name]
    if name == "airings":  # with the daily counts, in one statement
        AIRINGS.store(conn, rows)
        return
    if len(rows) < SMALL:
        UPSERTS[name].many(conn, [{c: _adapt(v) for c, v in row.items()} for row in rows])
        return
    _copy_upsert(conn, table, rows, keys)


def _copy_upsert(
    conn: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """COPY the rows into a session-private staging table, then one INSERT ... SELECT ...
    ON CONFLICT (keys) DO UPDATE ... WHERE the new revision is higher. COPY is PostgreSQL's bulk
    path: a month of a station's rows costs one round trip instead of one statement per row.
    Names come from the schema (never from input) and are quoted by psycopg; the staging table
    empties itself at commit."""
    columns = list(rows[0])
    stage = sql.Identifier(f"stage_{table.name}")
    target = sql.Identifier(table.name)
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns if c not in keys
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) "
                "ON COMMIT DELETE ROWS"
            ).format(stage, target)
        )
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, names)) as copy:
            for row in rows:
                copy.write_row([_adapt(row[c]) for c in columns])
        cur.execute(
            sql.SQL(
                "INSERT INTO {target} ({names}) SELECT {names} FROM {stage} "
                "ON CONFLICT ({keys}) DO UPDATE SET {updates} "
                "WHERE EXCLUDED.revision > {target}.revision"
            ).format(
                target=target,
                names=names,
                stage=stage,
                keys=sql.SQL(", ").join(sql.Identifier(k) for k in keys),
                updates=updates,
            )
        )


def _adapt(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict) else value


def _values(station_id: str, table: str, seq: int, row: _Row) -> dict[str, Any]:
    data = row.model_dump()
    data["station_id"] = station_id
    data["revision"] = seq
    if isinstance(row, DayPlanIn):
        del data["plan_json"]
        data["plan"] = row.plan()
    elif table == "daemon_runs":
        data["run_id"] = data.pop("id")
    elif table == "alert_levels":
        data["level_id"] = data.pop("id")
    return data


def _columns(table: str) -> tuple[str, ...]:
    """The columns ``_values`` gives for a table (every field of its row model, renamed)."""
    renames = {"plan_json": "plan", "id": "run_id" if table == "daemon_runs" else "level_id"}
    fields = [renames.get(f, f) for f in MODELS[table].model_fields]
    return ("station_id", "revision", *[f for f in fields if f not in ("station_id",)])


def _build_upsert(table: Table, columns: tuple[str, ...], keys: tuple[str, ...]) -> Compiled:
    stmt = insert(table).values({c: bindparam(c, type_=table.c[c].type) for c in columns})
    return Compiled(
        stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: stmt.excluded[c] for c in columns if c not in keys},
            where=stmt.excluded.revision > table.c.revision,
        )
    )


TARGETS: dict[str, tuple[Table, list[str]]] = {
    "airings": (schema.airings, ["station_id", "airing_id", "day"]),
    "day_plans": (schema.day_plans, ["station_id", "day", "version"]),
    "daemon_runs": (schema.daemon_runs, ["station_id", "run_id"]),
    "alert_levels": (schema.alert_levels, ["station_id", "level_id"]),
    "clips": (schema.station_clips, ["station_id", "sha256"]),
}


# built once: the hot path of every upload builds no statement
AIRINGS = AiringStore(_columns("airings"))
UPSERTS = {
    name: _build_upsert(table, _columns(name), tuple(keys))
    for name, (table, keys) in TARGETS.items()
}


def _replace_targets(conn: Connection, station_id: str, plans: list[DayPlanIn]) -> None:
    """Keep, for each day, the targets and the sessions of the newest plan version the hub
    holds (the report reads the targets, the dashboard the sessions)."""
    newest: dict[date, DayPlanIn] = {}
    for p in plans:
        if p.day not in newest or newest[p.day].version < p.version:
            newest[p.day] = p
    if not newest:
        return
    plans_t, targets_t = schema.day_plans, schema.day_targets
    tops = dict(
        conn.execute(
            select(plans_t.c.day, func.max(plans_t.c.version))
            .where(plans_t.c.station_id == station_id, plans_t.c.day.in_(list(newest)))
            .group_by(plans_t.c.day)
        ).all()
    )
    current = {d: p for d, p in newest.items() if tops.get(d, p.version) <= p.version}
    if not current:
        return
    sessions_t = schema.day_sessions
    for table in (targets_t, sessions_t):
        conn.execute(
            table.delete().where(table.c.station_id == station_id, table.c.day.in_(list(current)))
        )
    rows = [
        {
            "station_id": station_id,
            "day": day,
            "campaign": c,
            "version": p.version,
            "planned": n,
            "requested": r,
            "title": titles.get(c, ""),
        }
        for day, p in current.items()
        for titles in [p.titles()]
        for c, (n, r) in p.targets().items()
    ]
    if rows:
        conn.execute(targets_t.insert(), rows)
    spans = [
        {
            "station_id": station_id,
            "day": day,
            "session": name,
            "version": p.version,
            "first_start": first,
            "last_end": last,
            "ends": ends,
        }
        for day, p in current.items()
        for name, (first, last, ends) in p.sessions().items()
    ]
    if spans:
        conn.execute(sessions_t.insert(), spans)


def store_batch(
    engine: Engine,
    partitions: Partitions,
    station_id: str,
    raw_rows: list[Any],
    *,
    timezone: str | None,
    software: str,
    now: datetime,
) -> Stored:
    sorted_rows = sort_rows(station_id, raw_rows)
    partitions.ensure(engine, months_of(sorted_rows))
    with engine.begin() as conn:
        # first, and in the same transaction: the station's row stays locked until commit, so
        # the uploads of one station are applied one at a time
        TOUCH_STATION.rows(
            conn,
            {
                "sid": station_id,
                "now": now,
                "acked": acked_seq(sorted_rows),
                "software": storable(software)[:100],
                "tz": timezone[:60] if timezone else None,
            },
        )
        return write_rows(conn, station_id, sorted_rows, now)


class NoStation(Exception):
    """The token names no live station."""


class _NewMonth(Exception):
    """The batch holds a month this hub process has no partition for yet."""


def store_routine(
    engine: Engine,
    partitions: Partitions,
    token_hash: str,
    raw_rows: list[Any],
    *,
    check: Callable[[str], None],
    timezone: str | None,
    software: str,
    now: datetime,
) -> tuple[str, Stored]:
    """A small batch stored in one transaction that starts by finding the token's station:
    (its id, what was stored). The same checks and writes as ``store_batch``, in one pool
    checkout and one round trip fewer: a routine sync is most of the hub's traffic.

    Raises NoStation (the token names no live station), WrongStation (a row names another
    station) or what ``check(station id)`` raises; nothing is written then."""
    seqs = [s for s in map(seq_of, raw_rows) if s is not None]
    params = {
        "h": token_hash,
        "now": now,
        "acked": max(seqs, default=0),
        "software": storable(software)[:100],
        "tz": timezone[:60] if timezone else None,
    }
    try:
        with engine.begin() as conn:
            found = TOUCH_BY_TOKEN.rows(conn, params)
            if not found:
                raise NoStation
            station_id = str(found[0].id)
            check(station_id)  # the envelope's station: raises to refuse the batch
            sorted_rows = sort_rows(station_id, raw_rows)
            if not months_of(sorted_rows) <= partitions.known:
                raise _NewMonth
            return station_id, write_rows(conn, station_id, sorted_rows, now)
    except _NewMonth:  # rolled back; the partition made in its own transaction, then as usual
        stored = store_batch(
            engine, partitions, station_id, raw_rows, timezone=timezone, software=software, now=now
        )
        return station_id, stored


def write_rows(conn: Connection, station_id: str, sorted_rows: Sorted, now: datetime) -> Stored:
    """The batch's rows written in ``conn``'s transaction, which holds the station's row lock
    (its ``last_contact`` and ``acked_seq`` already moved); the partitions of its months exist."""
    result = Stored(acked_seq=acked_seq(sorted_rows))
    for table in TARGETS:
        bucket = sorted_rows.rows.get(table, {})
        rows = [_values(station_id, table, seq, row) for seq, row in bucket.values()]
        if rows:
            _upsert(conn, table, rows)
        result.stored += len(rows)
    plans = [
        r for _, r in sorted_rows.rows.get("day_plans", {}).values() if isinstance(r, DayPlanIn)
    ]
    _replace_targets(conn, station_id, plans)
    for seq, table, reason, data in sorted_rows.refused:
        conn.execute(
            schema.refused_rows.insert().values(
                station_id=station_id,
                received_at=now,
                seq=seq,
                table_name=storable(table)[:100],
                reason=storable(reason)[:1000],
                row_data=storable_json(data),
            )
        )
        result.refused.append({"seq": seq, "table": table, "reason": reason})
    if result.refused:
        log.warning(
            "station %s: %d row(s) refused, first: %s",
            station_id,
            len(result.refused),
            result.refused[0]["reason"],
        )
    return result
