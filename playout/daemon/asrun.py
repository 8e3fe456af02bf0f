"""The as-run log, the stored daily plans and the daemon runs, on the station database.

Every write is its own short transaction (WAL + synchronous=FULL): an airing's row is committed
before its audio starts and completed when it ends, so a power cut can lose at most the end of
the airing that was on air, and the unique key (station, airing id) makes airing twice
impossible.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

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


class AsRunLog:
    def __init__(self, db: Database, station_id: str) -> None:
        self.db = db
        self.station_id = station_id

    # ------------------------------------------------------------------ airings

    def _row(
        self,
        airing: Airing,
        *,
        status: Status,
        trigger: Trigger,
        reason: str = "",
        actual_start: datetime | None = None,
        actual_end: datetime | None = None,
        played_ms: int = 0,
        clip_sha256: str | None = None,
        run_id: int | None = None,
        operator: str = "",
    ) -> AiringRow:
        return AiringRow(
            station_id=self.station_id,
            airing_id=airing.airing_id,
            day=airing.day,
            campaign=airing.campaign,
            session=airing.session,
            clip=airing.clip,
            clip_sha256=clip_sha256,
            planned_start=airing.wanted or airing.start,
            planned_ms=airing.duration_ms,
            actual_start=actual_start,
            actual_end=actual_end,
            played_ms=played_ms,
            status=status.value,
            reason=reason[:500],
            trigger=trigger.value,
            operator=operator,
            run_id=run_id,
        )

    def begin(
        self,
        airing: Airing,
        *,
        trigger: Trigger,
        actual_start: datetime,
        clip_sha256: str | None,
        run_id: int | None,
        reason: str = "",
        operator: str = "",
    ) -> bool:
        """Commit the row of an airing about to start. False if it was logged already."""
        row = self._row(
            airing,
            status=Status.PLAYING,
            trigger=trigger,
            actual_start=actual_start,
            clip_sha256=clip_sha256,
            run_id=run_id,
            reason=reason,
            operator=operator,
        )
        return self._insert(row)

    def finish(
        self, airing_id: str, status: Status, played_ms: int, reason: str, end: datetime
    ) -> None:
        with self.db.session() as s, s.begin():
            s.execute(
                update(AiringRow)
                .where(AiringRow.station_id == self.station_id, AiringRow.airing_id == airing_id)
                .values(
                    status=status.value, played_ms=played_ms, reason=reason[:500], actual_end=end
                )
            )

    def record(
        self,
        airing: Airing,
        status: Status,
        reason: str,
        *,
        trigger: Trigger = Trigger.SCHEDULE,
        at: datetime | None = None,
        run_id: int | None = None,
    ) -> bool:
        """Log an airing that did not play (missed, skipped, failed before it started)."""
        row = self._row(
            airing,
            status=status,
            trigger=trigger,
            reason=reason,
            actual_start=at,
            actual_end=at,
            run_id=run_id,
        )
        return self._insert(row)

    def _insert(self, row: AiringRow) -> bool:
        try:
            with self.db.session() as s, s.begin():
                s.add(row)
        except IntegrityError:
            return False
        return True

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

    def rows_after(self, last_id: int) -> list[AiringRow]:
        with self.db.session() as s:
            return list(
                s.scalars(
                    select(AiringRow)
                    .where(AiringRow.station_id == self.station_id, AiringRow.id > last_id)
                    .order_by(AiringRow.id)
                )
            )

    def close_playing(self, reason: str) -> list[Closed]:
        """Close airings left 'playing' by a crash or power cut as interrupted.

        What played is bounded by the last heartbeat of the run that aired it.
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

    def heartbeat(self, run_id: int, now: datetime) -> None:
        with self.db.session() as s, s.begin():
            s.execute(update(DaemonRunRow).where(DaemonRunRow.id == run_id).values(last_seen=now))

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

    def store_plan(
        self,
        day: date,
        airings: Sequence[Airing],
        level: int,
        reason: str,
        now: datetime,
        requested: Mapping[str, int] | None = None,
    ) -> int | None:
        """Store the plan of ``day`` if it differs from the one in force. Returns the version.

        ``requested`` is what each campaign asked for that day (the target the monthly report
        compares with); by default the planned count."""
        if requested is None:
            requested = {}
            for a in airings:
                requested[a.campaign] = requested.get(a.campaign, 0) + 1
        payload = json.dumps(
            {"airings": [a.as_dict() for a in airings], "requested": dict(requested)},
            ensure_ascii=False,
            sort_keys=True,
        )
        digest = hashlib.sha256(f"{level}\n{payload}".encode()).hexdigest()
        with self.db.session() as s, s.begin():
            latest = s.scalars(
                select(DayPlanRow)
                .where(DayPlanRow.station_id == self.station_id, DayPlanRow.day == day)
                .order_by(DayPlanRow.version.desc())
                .limit(1)
            ).first()
            if latest is not None and latest.digest == digest:
                return None
            version = 1 if latest is None else latest.version + 1
            s.add(
                DayPlanRow(
                    station_id=self.station_id,
                    day=day,
                    version=version,
                    effective_from=now,
                    reason=reason,
                    level=level,
                    digest=digest,
                    plan_json=payload,
                )
            )
        return version

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
