"""The as-run log, the stored daily plans and the daemon runs, on the station database.

Every change is an :class:`Op`: a small JSON-serialisable record (insert an airing, finish it,
a heartbeat, a day plan) applied in its own short transaction (WAL + synchronous=FULL). The
daemon hands ops to a :class:`~playout.daemon.writer.BufferedAsRun` so the air never waits on
the database; tests and tools apply them directly with :class:`AsRunLog`. Applying an op twice
changes nothing (inserts do nothing on a known airing id, a finish only closes a ``playing``
row, a plan with the same digest and time is stored once), so a spilled op can be replayed
after a crash without doubling anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update

from playout.daemon.ops import Op, OpSink, apply_op
from playout.planning import Airing
from playout.store import (
    AiringRow,
    AlertLevelRow,
    DaemonRunRow,
    Database,
    DayPlanRow,
    Status,
    Trigger,
)


@dataclass(frozen=True)
class Closed:
    airing_id: str
    played_ms: int


@dataclass(frozen=True)
class Renamed:
    """The station's id changed in its settings: its log was moved from ``old`` to the new id."""

    old: str
    moved: dict[str, int]  # table -> rows moved
    kept: int  # airings left under the old id (the same airing already logged under the new)


class AsRunLog(OpSink):
    """Reads the as-run database, and writes it directly (each op its own transaction)."""

    def __init__(self, db: Database, station_id: str) -> None:
        self.db = db
        self.station_id = station_id

    def apply(self, op: Op) -> int | bool | None:
        with self.db.session() as s, s.begin():
            return apply_op(s, op)

    def submit(self, op: Op, airing: Airing | None = None) -> int | bool | None:
        return self.apply(op)

    def logged_ids(self, first: date, last: date) -> set[str]:
        with self.db.session() as s:
            return set(
                s.scalars(
                    select(AiringRow.airing_id).where(
                        AiringRow.station_id == self.station_id,
                        AiringRow.day >= first,
                        AiringRow.day <= last,
                    )
                )
            )

    def logged_days(self, first: date, last: date) -> list[tuple[str, date]]:
        with self.db.session() as s:
            rows = s.execute(
                select(AiringRow.airing_id, AiringRow.day).where(
                    AiringRow.station_id == self.station_id,
                    AiringRow.day >= first,
                    AiringRow.day <= last,
                )
            )
            return [(a, d) for a, d in rows]

    def logged_slots(self, first: date, last: date) -> set[tuple[str, int]]:
        """The slots (see :attr:`Airing.slot`) of the scheduled airings logged these days."""
        with self.db.session() as s:
            rows = s.execute(
                select(AiringRow.campaign, AiringRow.planned_start).where(
                    AiringRow.station_id == self.station_id,
                    AiringRow.day >= first,
                    AiringRow.day <= last,
                    AiringRow.trigger == Trigger.SCHEDULE.value,
                )
            )
            return {(c, round(start.timestamp() * 1000)) for c, start in rows}

    def has_aired(self, airing: Airing) -> bool:
        """Logged by its id, or a scheduled airing of the same slot under another id."""
        return self.is_logged(airing.airing_id) or airing.slot in self.logged_slots(
            airing.day, airing.day
        )

    def is_logged(self, airing_id: str) -> bool:
        with self.db.session() as s:
            found = s.scalar(
                select(func.count()).where(
                    AiringRow.station_id == self.station_id, AiringRow.airing_id == airing_id
                )
            )
        return bool(found)

    def rows(self, first: date, last: date) -> list[AiringRow]:
        with self.db.session() as s:
            return list(
                s.scalars(
                    select(AiringRow)
                    .where(
                        AiringRow.station_id == self.station_id,
                        AiringRow.day >= first,
                        AiringRow.day <= last,
                    )
                    .order_by(AiringRow.planned_start, AiringRow.id)
                )
            )

    def close_playing(
        self, reason: str, last_alive: datetime | None = None, alive_run: int | None = None
    ) -> list[Closed]:
        """Close airings left 'playing' by a crash or power cut as interrupted.

        What played is bounded by the last heartbeat of the run that aired it, or by
        ``last_alive`` (the spill file's, written every half second while on air) when it is
        later and the row belongs to ``alive_run`` (the run that wrote it).
        """
        closed = []
        with self.db.session() as s, s.begin():
            rows = s.scalars(
                select(AiringRow).where(
                    AiringRow.station_id == self.station_id,
                    AiringRow.status == Status.PLAYING.value,
                )
            ).all()
            for row in rows:
                run = s.get(DaemonRunRow, row.run_id) if row.run_id is not None else None
                end = run.last_seen if run is not None else row.actual_start
                if last_alive is not None and run is not None and run.id == alive_run:
                    end = max(end, last_alive) if end is not None else last_alive
                start = row.actual_start or end
                played = 0
                if end is not None and start is not None:
                    played = int((end - start).total_seconds() * 1000)
                row.played_ms = max(0, min(played, row.planned_ms))
                row.status = Status.INTERRUPTED.value
                row.reason = reason
                row.actual_end = end
                closed.append(Closed(row.airing_id, row.played_ms))
        return closed

    def adopt_renamed(self) -> Renamed | None:
        """If the last daemon on this database ran under another station id, the station was
        renamed in its settings: move that id's log, plans, runs and levels to this id, in one
        transaction, so what aired is known under the new id and never airs again.

        An airing logged under both ids (it cannot be two rows of one id) stays under the old
        id and is counted in ``kept``; the new id's row stands."""
        with self.db.session() as s, s.begin():
            last = s.scalars(select(DaemonRunRow).order_by(DaemonRunRow.id.desc()).limit(1)).first()
            if last is None or last.station_id == self.station_id:
                return None
            old = last.station_id
            moved = {}
            for model in (AiringRow, DayPlanRow, DaemonRunRow, AlertLevelRow):
                done = s.execute(
                    update(model)
                    .where(model.station_id == old)
                    .values(station_id=self.station_id)
                    .prefix_with("OR IGNORE")
                )
                moved[model.__tablename__] = int(getattr(done, "rowcount", 0) or 0)
            kept = s.scalar(select(func.count()).where(AiringRow.station_id == old)) or 0
        return Renamed(old, moved, int(kept))

    # ------------------------------------------------------------------ daemon runs

    def begin_run(self, pid: int, host: str, now: datetime, output: str) -> int:
        row = DaemonRunRow(
            station_id=self.station_id,
            pid=pid,
            host=host,
            started_at=now,
            last_seen=now,
            audio_output=output,
        )
        with self.db.session() as s, s.begin():
            s.add(row)
            s.flush()
            return row.id

    def end_run(self, run_id: int, now: datetime) -> None:
        with self.db.session() as s, s.begin():
            s.execute(
                update(DaemonRunRow)
                .where(DaemonRunRow.id == run_id)
                .values(last_seen=now, stopped_at=now)
            )

    def previous_run(self, before_id: int) -> DaemonRunRow | None:
        with self.db.session() as s:
            return s.scalars(
                select(DaemonRunRow)
                .where(DaemonRunRow.station_id == self.station_id, DaemonRunRow.id < before_id)
                .order_by(DaemonRunRow.id.desc())
                .limit(1)
            ).first()

    # ------------------------------------------------------------------ plans

    def plans(self, first: date, last: date) -> list[DayPlanRow]:
        with self.db.session() as s:
            return list(
                s.scalars(
                    select(DayPlanRow)
                    .where(
                        DayPlanRow.station_id == self.station_id,
                        DayPlanRow.day >= first,
                        DayPlanRow.day <= last,
                    )
                    .order_by(DayPlanRow.day, DayPlanRow.version)
                )
            )

    # ------------------------------------------------------------------ alert level

    def set_level(
        self, level: int, since: datetime, until: datetime | None, reason: str, operator: str
    ) -> None:
        with self.db.session() as s, s.begin():
            s.add(
                AlertLevelRow(
                    station_id=self.station_id,
                    level=level,
                    since=since,
                    until=until,
                    reason=reason[:500],
                    operator=operator[:80],
                )
            )

    def level_at(self, now: datetime) -> AlertLevelRow | None:
        """The level set last, if it has not expired."""
        with self.db.session() as s:
            row = s.scalars(
                select(AlertLevelRow)
                .where(AlertLevelRow.station_id == self.station_id)
                .order_by(AlertLevelRow.id.desc())
                .limit(1)
            ).first()
        if row is None or (row.until is not None and row.until <= now):
            return None
        return row

    def today_counts(self, day: date) -> dict[str, dict[str, int]]:
        with self.db.session() as s:
            rows = s.execute(
                select(AiringRow.campaign, AiringRow.status, func.count())
                .where(AiringRow.station_id == self.station_id, AiringRow.day == day)
                .group_by(AiringRow.campaign, AiringRow.status)
            )
            counts: dict[str, dict[str, int]] = {}
            for campaign, status, n in rows:
                counts.setdefault(campaign, {})[status] = n
        return counts


def airing_record(row: AiringRow) -> dict[str, Any]:
    """One airing as plain JSON values (``playout log --json``, the daemon's "log" answer)."""
    return {
        "airing_id": row.airing_id,
        "date": row.day.isoformat(),
        "campaign": row.campaign,
        "session": row.session,
        "clip": row.clip,
        "clip_sha256": row.clip_sha256,
        "planned_start": row.planned_start.isoformat(),
        "planned_ms": row.planned_ms,
        "actual_start": row.actual_start.isoformat() if row.actual_start else None,
        "actual_end": row.actual_end.isoformat() if row.actual_end else None,
        "played_ms": row.played_ms,
        "status": row.status,
        "reason": row.reason,
        "trigger": row.trigger,
        "operator": row.operator,
    }
