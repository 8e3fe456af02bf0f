"""Storing an upload: one transaction per batch, upserts that only move a row forward.

Each table is keyed by (station id, the row's natural key). The station's ``sync_seq`` is the
row's revision: ``ON CONFLICT ... DO UPDATE ... WHERE excluded.revision > revision``, so a batch
sent twice, or an old copy arriving late, changes nothing. Rows are de-duplicated within the
batch first (PostgreSQL refuses to update one row twice in one statement).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Engine, Table, Text, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from playout.hub import schema
from playout.hub.compiled import Compiled
from playout.hub.counts import AiringStore
from playout.hub.rows import (
    MODELS,
    AiringIn,
    AlertLevelIn,
    ClipIn,
    DaemonRunIn,
    DayPlanIn,
    _Row,
    parse_row,
)

log = logging.getLogger("playout.hub")


class WrongStation(Exception):
    """A row names another station than the token's."""


@dataclass
class Stored:
    acked_seq: int
    stored: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"acked_seq": self.acked_seq, "stored": self.stored, "refused": self.refused}


@dataclass
class _Sorted:
    rows: dict[str, dict[tuple[Any, ...], tuple[int, _Row]]] = field(default_factory=dict)
    refused: list[tuple[int, str, str, Any]] = field(default_factory=list)


def _key(table: str, row: _Row) -> tuple[Any, ...]:
    if isinstance(row, AiringIn):
        return (row.airing_id, row.day)
    if isinstance(row, DayPlanIn):
        return (row.day, row.version)
    if isinstance(row, DaemonRunIn | AlertLevelIn):
        return (row.id,)
    assert isinstance(row, ClipIn)
    return (row.sha256,)


def sort_rows(station_id: str, raw_rows: list[Any]) -> _Sorted:
    """Validate every row (bad ones refused alone), keep the newest of each key.

    Raises WrongStation when any row names another station: nothing of the batch is written."""
    out = _Sorted()
    for item in raw_rows:
        seq = item.get("seq") if isinstance(item, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**63:
            out.refused.append((-1, "?", "a row without a valid 'seq'", item))
            continue
        table = str(item.get("table", ""))[:100]
        data = item.get("data")
        named = data.get("station_id", station_id) if isinstance(data, dict) else station_id
        if isinstance(named, str) and named != station_id:  # another station's row: no
            raise WrongStation(f"row {seq} belongs to station {named[:80]!r}")
        try:
            row = parse_row(table, data)
        except ValueError as exc:
            out.refused.append((seq, table, str(exc), data))
            continue
        bucket = out.rows.setdefault(table, {})
        key = _key(table, row)
        if key not in bucket or bucket[key][0] < seq:
            bucket[key] = (seq, row)
    return out


def storable(text: str) -> str:
    """Text PostgreSQL can hold: a NUL character is written as \\0."""
    return text.replace("\x00", "\\0")


REFUSED_KEEP = 20_000  # characters of a refused row kept for the province to read


def storable_json(data: Any) -> dict[str, Any]:
    """A refused row as a JSON object PostgreSQL's JSONB takes, whatever the station sent (NUL
    characters, numbers out of any range, infinities): the row itself when it is safe, else its
    JSON text, cut to a readable length."""
    try:
        text = json.dumps(data, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):  # a number too long to write, ...
        return {"value": "(a row that cannot be written back as JSON)"}
    safe = (
        isinstance(data, dict)
        and len(text) <= REFUSED_KEEP
        and "\\u0000" not in text
        and "Infinity" not in text
        and "NaN" not in text
    )
    if safe:
        return dict(data)
    return {"value": storable(text[:REFUSED_KEEP])}


def _months(days: list[date]) -> set[tuple[int, int]]:
    return {(d.year, d.month) for d in days}


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
        }
        for day, p in current.items()
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
    seqs = [s for s, *_ in sorted_rows.refused] + [
        s for bucket in sorted_rows.rows.values() for s, _ in bucket.values()
    ]
    result = Stored(acked_seq=max(seqs, default=0))
    airing_days = [
        r.day for _, r in sorted_rows.rows.get("airings", {}).values() if isinstance(r, AiringIn)
    ]
    partitions.ensure(engine, _months(airing_days))
    with engine.begin() as conn:
        # first, and in the same transaction: the station's row stays locked until commit, so
        # the uploads of one station are applied one at a time
        TOUCH_STATION.rows(
            conn,
            {
                "sid": station_id,
                "now": now,
                "acked": result.acked_seq,
                "software": storable(software)[:100],
                "tz": timezone[:60] if timezone else None,
            },
        )
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
