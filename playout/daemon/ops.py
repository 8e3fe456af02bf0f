"""The changes to the as-run database, as small serialisable ops.

Every change is an :class:`Op` (insert an airing, finish it, a heartbeat, a day plan) that
:func:`apply_op` applies inside a transaction. Applying an op twice changes nothing (inserts do
nothing on a known airing id, a finish only closes a ``playing`` row, a plan with the same
digest and time is stored once), so a spilled op can be replayed after a crash.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from playout.planning import Airing
from playout.store import AiringRow, DaemonRunRow, DayPlanRow, Status, Trigger

REASON_MAX = 500


@dataclass(frozen=True)
class Op:
    """One change to the as-run database, serialisable as JSON (see ``writer.py``)."""

    kind: str  # "insert" | "finish" | "heartbeat" | "plan"
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "data": self.data}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Op:
        raw = json.loads(text)
        return cls(str(raw["kind"]), dict(raw["data"]))

    @property
    def airing_id(self) -> str | None:
        value = self.data.get("airing_id")
        return str(value) if value is not None else None


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _when(text: Any) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text is not None else None


def insert_op(
    station_id: str,
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
) -> Op:
    return Op(
        "insert",
        {
            "station_id": station_id,
            "airing_id": airing.airing_id,
            "day": airing.day.isoformat(),
            "campaign": airing.campaign,
            "session": airing.session,
            "clip": airing.clip,
            "clip_sha256": clip_sha256,
            "planned_start": _iso(airing.wanted or airing.start),
            "planned_ms": airing.duration_ms,
            "actual_start": _iso(actual_start),
            "actual_end": _iso(actual_end),
            "played_ms": max(0, played_ms),
            "status": status.value,
            "reason": reason[:REASON_MAX],
            "trigger": trigger.value,
            "operator": operator[:80],
            "run_id": run_id,
        },
    )


def finish_op(
    station_id: str, airing_id: str, status: Status, played_ms: int, reason: str, end: datetime
) -> Op:
    return Op(
        "finish",
        {
            "station_id": station_id,
            "airing_id": airing_id,
            "status": status.value,
            "played_ms": max(0, played_ms),
            "reason": reason[:REASON_MAX],
            "actual_end": _iso(end),
        },
    )


def heartbeat_op(run_id: int, now: datetime) -> Op:
    return Op("heartbeat", {"run_id": run_id, "at": _iso(now)})


def plan_op(
    station_id: str,
    day: date,
    airings: Sequence[Airing],
    level: int,
    reason: str,
    now: datetime,
    requested: Mapping[str, int] | None = None,
    titles: Mapping[str, str] | None = None,
) -> Op:
    """``requested`` is what each campaign asked for that day (the target the monthly report
    compares with); by default the planned count. ``titles`` are campaigns' titles: those of
    the day's campaigns go with the plan (what the province's officials read at the hub
    instead of ids)."""
    if requested is None:
        requested = {}
        for a in airings:
            requested[a.campaign] = requested.get(a.campaign, 0) + 1
    day_plan: dict[str, Any] = {
        "airings": [a.as_dict() for a in airings],
        "requested": dict(requested),
    }
    named = {c: t for c, t in (titles or {}).items() if t and t != c and c in requested}
    if named:  # absent when there are none: the plans stored before titles keep their digest
        day_plan["titles"] = named
    payload = json.dumps(day_plan, ensure_ascii=False, sort_keys=True)
    return Op(
        "plan",
        {
            "station_id": station_id,
            "day": day.isoformat(),
            "level": level,
            "reason": reason[:200],
            "effective_from": _iso(now),
            "digest": hashlib.sha256(f"{level}\n{payload}".encode()).hexdigest(),
            "plan_json": payload,
        },
    )


def apply_op(s: Session, op: Op) -> int | bool | None:
    """Apply one op inside the caller's transaction.

    Returns: for "insert", whether a row was added; for "plan", the new version (None when the
    plan in force is the same); None otherwise."""
    d = op.data
    if op.kind == "insert":
        values = {
            **d,
            "day": date.fromisoformat(d["day"]),
            "planned_start": _when(d["planned_start"]),
            "actual_start": _when(d["actual_start"]),
            "actual_end": _when(d["actual_end"]),
        }
        # the table's column types store instants as UTC; a known airing id changes nothing
        stmt = sqlite_insert(AiringRow).values(**values)
        result = s.execute(stmt.on_conflict_do_nothing(index_elements=["station_id", "airing_id"]))
        return bool(result.rowcount)  # type: ignore[attr-defined]
    if op.kind == "finish":
        s.execute(
            update(AiringRow)
            .where(
                AiringRow.station_id == d["station_id"],
                AiringRow.airing_id == d["airing_id"],
                AiringRow.status == Status.PLAYING.value,
            )
            .values(
                status=d["status"],
                played_ms=d["played_ms"],
                reason=d["reason"],
                actual_end=_when(d["actual_end"]),
            )
        )
        return None
    if op.kind == "heartbeat":
        s.execute(
            update(DaemonRunRow)
            .where(DaemonRunRow.id == d["run_id"])
            .values(last_seen=_when(d["at"]))
        )
        return None
    if op.kind == "plan":
        return _store_plan(s, d)
    raise ValueError(f"unknown as-run op {op.kind!r}")


def _store_plan(s: Session, d: dict[str, Any]) -> int | None:
    day = date.fromisoformat(d["day"])
    latest = s.scalars(
        select(DayPlanRow)
        .where(DayPlanRow.station_id == d["station_id"], DayPlanRow.day == day)
        .order_by(DayPlanRow.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.digest == d["digest"]:
        return None
    effective = _when(d["effective_from"])
    assert effective is not None
    replayed = s.scalar(
        select(func.count()).where(
            DayPlanRow.station_id == d["station_id"],
            DayPlanRow.day == day,
            DayPlanRow.digest == d["digest"],
            DayPlanRow.effective_from == effective,
        )
    )
    if replayed:
        return None  # this very change was stored before (a replayed op)
    version = 1 if latest is None else latest.version + 1
    s.add(
        DayPlanRow(
            station_id=d["station_id"],
            day=day,
            version=version,
            effective_from=effective,
            reason=d["reason"],
            level=d["level"],
            digest=d["digest"],
            plan_json=d["plan_json"],
        )
    )
    return version


class OpSink(ABC):
    """The as-run calls the engine and the daemon make, turned into ops; subclasses say where
    ops go (``AsRunLog``: straight into the database; ``BufferedAsRun``: a queue and a writer
    thread, never blocking) and what is logged already."""

    station_id: str

    @abstractmethod
    def is_logged(self, airing_id: str) -> bool: ...

    @abstractmethod
    def logged_ids(self, first: date, last: date) -> set[str]: ...

    @abstractmethod
    def submit(self, op: Op, airing: Airing | None = None) -> int | bool | None:
        """Apply or queue ``op`` (``airing`` for inserts); for an insert, False when the
        airing was logged already."""

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
        """The row of an airing about to start. False if it was logged already."""
        op = insert_op(
            self.station_id,
            airing,
            status=Status.PLAYING,
            trigger=trigger,
            actual_start=actual_start,
            clip_sha256=clip_sha256,
            run_id=run_id,
            reason=reason,
            operator=operator,
        )
        return bool(self.submit(op, airing))

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
        """An airing that did not play (missed, skipped, failed before it started)."""
        op = insert_op(
            self.station_id,
            airing,
            status=status,
            trigger=trigger,
            reason=reason,
            actual_start=at,
            actual_end=at,
            run_id=run_id,
        )
        return bool(self.submit(op, airing))

    def finish(
        self, airing_id: str, status: Status, played_ms: int, reason: str, end: datetime
    ) -> None:
        self.submit(finish_op(self.station_id, airing_id, status, played_ms, reason, end))

    def heartbeat(self, run_id: int, now: datetime) -> None:
        self.submit(heartbeat_op(run_id, now))

    def store_plan(
        self,
        day: date,
        airings: Sequence[Airing],
        level: int,
        reason: str,
        now: datetime,
        requested: Mapping[str, int] | None = None,
        titles: Mapping[str, str] | None = None,
    ) -> int | None:
        """Store the plan of ``day`` if it differs from the one in force: its version (None
        when unchanged, or when the op is queued)."""
        version = self.submit(
            plan_op(self.station_id, day, airings, level, reason, now, requested, titles)
        )
        return version if isinstance(version, int) and not isinstance(version, bool) else None
