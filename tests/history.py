"""A station's as-run history, generated: the sample schedule's plan for each day, stored as the
daemon stores it, with a deterministic mix of fates (completed, missed, failed, interrupted,
an airing left 'playing' by a crash). For the hub's tests, its benchmark and the demo hub."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from playout.daemon.asrun import AsRunLog
from playout.planning import plan
from playout.schedule.model import Schedule
from playout.station_folder import load_station
from playout.store import Database, Status, Trigger

SAMPLE = Path(__file__).resolve().parent.parent


@dataclass
class Sample:
    schedule: Schedule
    durations: dict[str, int]

    def for_station(self, station_id: str, name: str = "") -> Schedule:
        station = self.schedule.station.model_copy(
            update={"id": station_id, "name": name or station_id}
        )
        return dataclasses.replace(self.schedule, station=station)


def sample(root: Path = SAMPLE) -> Sample:
    loaded = load_station(root, capacity=False)
    assert loaded.schedule is not None, loaded.errors
    return Sample(loaded.schedule, dict(loaded.durations))


def days(first: date, last: date) -> Iterator[date]:
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


@dataclass
class History:
    """What was written: airing id -> (status, played ms) as the log holds it at the end."""

    airings: dict[str, tuple[str, int]] = field(default_factory=dict)
    plans: int = 0


def write_history(
    db: Database,
    schedule: Schedule,
    durations: dict[str, int],
    first: date,
    last: date,
    seed: int,
    until: datetime | None = None,
) -> History:
    """Every day's plan; each airing that ended before ``until`` (all by default) gets its fate."""
    rng = random.Random(seed)
    station_id = schedule.station.id
    log = AsRunLog(db, station_id)
    out = History()
    for day in days(first, last):
        result = plan(schedule, day, day, durations=durations)
        start = result.airings[0].start if result.airings else None
        if start is None:
            continue
        log.store_plan(
            day, result.airings, 1, "start", start - timedelta(hours=1),
            {c.campaign: c.requested for c in result.counts}, schedule.campaign_titles(),
        )  # fmt: skip
        out.plans += 1
        for a in result.airings:
            if until is not None and a.end > until:
                break
            roll = rng.random()
            if roll < 0.05:
                log.record(a, Status.MISSED, "station off air", at=a.start)
                out.airings[a.airing_id] = (Status.MISSED.value, 0)
                continue
            log.begin(
                a, trigger=Trigger.SCHEDULE, actual_start=a.start, clip_sha256="0" * 64, run_id=None
            )
            if roll < 0.07:  # the station died while it played; the row stays 'playing'
                out.airings[a.airing_id] = (Status.PLAYING.value, 0)
                continue
            status = Status.INTERRUPTED if roll < 0.1 else Status.COMPLETED
            played = a.duration_ms if status is Status.COMPLETED else a.duration_ms // 3
            log.finish(a.airing_id, status, played, "" if played else "power cut", a.end)
            out.airings[a.airing_id] = (status.value, played)
    return out
