"""What the planner produces: airings, shortfalls and per-day counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from playout.i18n import Msg
from playout.schedule.model import Priority


class Placement(StrEnum):
    """Why an airing sits where it does."""

    SLOT = "slot"  # at its explicit 'at' time
    MOVED = "moved"  # an 'at' time that had to move (conflict or outside a session)
    SPREAD = "spread"  # one of the per_day airings spread over the sessions
    MAKE_GOOD = "make-good"  # aired later the same day because the station was off the air


@dataclass(frozen=True, order=True)
class Airing:
    start: datetime  # timezone-aware, in the station's zone
    end: datetime
    campaign: str
    airing_id: str  # unique within the station: "20200805-bluezone-02", "20200805-bz-0630"
    day: date  # the broadcast day it belongs to (local date)
    session: str
    clip: str  # path of the audio file, relative to the audio library
    duration_ms: int
    priority: Priority
    placement: Placement
    wanted: datetime | None = None  # the 'at' time it was moved from

    @property
    def slot(self) -> tuple[str, int]:
        """(campaign, the instant it was wanted at, in ms): an airing's identity beside its id,
        the same for an ``at`` time whatever its id was in an older version of playout."""
        return self.campaign, round((self.wanted or self.start).timestamp() * 1000)

    def as_dict(self) -> dict[str, Any]:
        return {
            "airing_id": self.airing_id,
            "date": self.day.isoformat(),
            "start": self.start.isoformat(timespec="milliseconds"),
            "end": self.end.isoformat(timespec="milliseconds"),
            "session": self.session,
            "campaign": self.campaign,
            "clip": self.clip,
            "duration_ms": self.duration_ms,
            "priority": self.priority.value,
            "placement": self.placement.value,
            "wanted": self.wanted.isoformat() if self.wanted else None,
        }


@dataclass(frozen=True)
class Shortfall:
    day: date
    campaign: str
    airing_id: str
    clip: str
    reason: str  # English, as the plan's JSON keeps it
    wanted: datetime | None = None
    said: Msg | None = field(default=None, compare=False, repr=False)  # the reason, to render

    def as_dict(self) -> dict[str, Any]:
        return {
            "airing_id": self.airing_id,
            "date": self.day.isoformat(),
            "campaign": self.campaign,
            "clip": self.clip,
            "wanted": self.wanted.isoformat() if self.wanted else None,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class DayCount:
    day: date
    campaign: str
    requested: int
    placed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "campaign": self.campaign,
            "requested": self.requested,
            "placed": self.placed,
        }


@dataclass(frozen=True)
class Plan:
    station: str
    first: date
    last: date
    level: int
    airings: tuple[Airing, ...] = ()
    shortfalls: tuple[Shortfall, ...] = ()
    counts: tuple[DayCount, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "station": self.station,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "level": self.level,
            "airings": [a.as_dict() for a in self.airings],
            "shortfalls": [s.as_dict() for s in self.shortfalls],
            "counts": [c.as_dict() for c in self.counts],
        }
