"""What the station has not yet sent: rows whose ``sync_seq`` is above the acknowledged cursor.

Never a timestamp watermark: a station clock that jumps back would hide rows from it.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import func, select, update

from playout.store import (
    AiringRow,
    AlertLevelRow,
    ClipRow,
    DaemonRunRow,
    Database,
    DayPlanRow,
    SyncStateRow,
)
from playout.sync.protocol import MAX_BYTES, MAX_ROWS

MODELS: dict[str, Any] = {
    "clips": ClipRow,
    "airings": AiringRow,
    "day_plans": DayPlanRow,
    "daemon_runs": DaemonRunRow,
    "alert_levels": AlertLevelRow,
}
_STATION_SCOPED = ("airings", "day_plans", "daemon_runs", "alert_levels")


@dataclass
class Batch:
    rows: list[dict[str, Any]] = field(default_factory=list)
    last_seq: int = 0  # the cursor after this batch is stored
    size: int = 0  # JSON bytes of the rows

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class SyncState:
    acked_seq: int
    hub_url: str
    last_attempt: datetime | None
    last_success: datetime | None
    last_error: str
    last_error_at: datetime | None
    rows_sent: int
    rows_waiting: int

    def as_dict(self, tz: tzinfo | None = None) -> dict[str, Any]:
        """Times as ISO 8601, in ``tz`` when given (the station's zone, for people)."""
        return {k: _jsonable(v, tz) for k, v in self.__dict__.items()}


def _jsonable(value: Any, tz: tzinfo | None = None) -> Any:
    if isinstance(value, datetime) and tz is not None:
        return value.astimezone(tz).isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row_data(row: Any) -> dict[str, Any]:
    return {
        c.key: _jsonable(getattr(row, c.key))
        for c in row.__table__.columns
        if c.key not in ("sync_seq", "file", "source_name")  # local paths stay local
    }


def _candidates(db: Database, station_id: str, after: int, limit: int) -> list[list[Any]]:
    """For each table, its ``limit`` lowest-seq rows above ``after``, as (seq, table, row)."""
    lists = []
    with db.session() as s:
        for table, model in MODELS.items():
            q = select(model).where(model.sync_seq > after)
            if table in _STATION_SCOPED:  # rows of an earlier station id are not this station's
                q = q.where(model.station_id == station_id)
            rows = s.scalars(q.order_by(model.sync_seq).limit(limit)).all()
            lists.append([(r.sync_seq, table, _row_data(r)) for r in rows])
    return lists


def next_batch(
    db: Database,
    station_id: str,
    after: int,
    *,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> Batch:
    """The next rows to send, in seq order, at most ``max_rows`` and about ``max_bytes``.

    Each table gives its lowest ``max_rows`` rows; merged, the first ``max_rows`` of them hold
    every row of every table up to the last seq taken, so the cursor never passes a row."""
    batch = Batch(last_seq=after)
    for seq, table, data in heapq.merge(*_candidates(db, station_id, after, max_rows)):
        encoded = len(json.dumps(data, ensure_ascii=False).encode())
        if batch.rows and (len(batch) >= max_rows or batch.size + encoded > max_bytes):
            break
        batch.rows.append({"table": table, "seq": seq, "data": data})
        batch.size += encoded
        batch.last_seq = seq
    return batch


def pending_rows(db: Database, station_id: str, after: int) -> int:
    total = 0
    with db.session() as s:
        for table, model in MODELS.items():
            q = select(func.count()).select_from(model).where(model.sync_seq > after)
            if table in _STATION_SCOPED:
                q = q.where(model.station_id == station_id)
            total += int(s.execute(q).scalar() or 0)
    return total


def read_state(db: Database, station_id: str) -> SyncState:
    with db.session() as s:
        row = s.get(SyncStateRow, 1)
        assert row is not None  # created by the migration
        return SyncState(
            acked_seq=row.acked_seq,
            hub_url=row.hub_url,
            last_attempt=row.last_attempt,
            last_success=row.last_success,
            last_error=row.last_error,
            last_error_at=row.last_error_at,
            rows_sent=row.rows_sent,
            rows_waiting=pending_rows(db, station_id, row.acked_seq),
        )


def write_state(db: Database, **values: Any) -> None:
    """Store the cursor and the last outcome (a small transaction; the airer never waits on
    it: the daemon's as-run writes go through their own thread)."""
    with db.session() as s, s.begin():
        s.execute(update(SyncStateRow).where(SyncStateRow.id == 1).values(**values))
