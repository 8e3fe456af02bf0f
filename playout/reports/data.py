"""The monthly airtime report's figures, from the as-run log and the stored plans only.

Everything is aggregated in SQL (GROUP BY over the indexed station/day columns), so memory
depends on the number of days, campaigns and clips in the period, not on the rows in the
database. Today's YAML is never read for figures (only for titles).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from playout import reasons
from playout.schedule.model import ReportSettings
from playout.store import AiringRow, Database, DayPlanRow, Status, Trigger

TO_COME = "to_come"  # a planned airing whose time has not come (or that is on air now)
MAKE_GOOD_SUFFIX = "-mg"
STATUSES = ("completed", "interrupted", "failed", "missed", "skipped", TO_COME)


@dataclass
class Counts:
    """planned = completed + interrupted + failed + missed + skipped + to_come, for the
    airings of the plans; announcements count outside (planned 0)."""

    planned: int = 0
    completed: int = 0
    interrupted: int = 0
    failed: int = 0
    missed: int = 0
    skipped: int = 0
    to_come: int = 0
    played_ms: int = 0

    def add(self, status: str, n: int, played_ms: int) -> None:
        if status in STATUSES:
            setattr(self, status, getattr(self, status) + n)
        self.played_ms += played_ms


@dataclass
class CampaignFigures:
    campaign: str
    title: str
    counts: Counts = field(default_factory=Counts)
    clips: dict[str, Counts] = field(default_factory=dict)
    target: int = 0  # airings requested over the period
    target_met: int = 0  # sum over days of min(aired, requested)
    days_aired: int = 0
    days_below: int = 0

    @property
    def share(self) -> float:
        return self.target_met / self.target if self.target else 1.0


@dataclass(frozen=True)
class NotCompleted:
    day: date
    planned_start: datetime  # station-local
    campaign: str
    clip: str
    status: str
    played_ms: int
    reason: str
    airing_id: str


@dataclass
class Report:
    station_id: str
    station_name: str
    area: str
    province: str
    first: date
    last: date
    issued: date
    prepared_by: str
    campaigns: list[CampaignFigures]
    days: list[date]
    grid: dict[tuple[date, str], tuple[int, int]]  # (day, campaign) -> (aired, target)
    not_completed: list[NotCompleted]
    settings: ReportSettings = field(default_factory=ReportSettings)
    clip_titles: dict[str, str] = field(default_factory=dict)  # file -> the catalog's title

    @property
    def aired(self) -> int:
        return sum(c.counts.completed for c in self.campaigns)

    @property
    def items(self) -> int:
        return len({clip for c in self.campaigns for clip, n in c.clips.items() if n.completed})

    @property
    def played_ms(self) -> int:
        return sum(c.counts.played_ms for c in self.campaigns)


@dataclass(frozen=True)
class Due:
    """An airing some plan version put in its own window of time."""

    airing_id: str
    day: date
    campaign: str
    clip: str
    start: datetime


@dataclass(frozen=True)
class Extra:
    campaign: str
    clip: str
    status: str
    played_ms: int
    day: date
    planned: bool  # a scheduled airing (of a plan the log outlived); False: an announcement


class Fates(dict[str, tuple[str, int]]):
    """airing id -> (status, ms played) of the planned airings; ``extra`` for the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.extra: list[Extra] = []


def _planned(versions: Sequence[Any], requested: dict[tuple[date, str], int]) -> dict[str, Due]:
    """The airings each day's plans made due: a version's airings from the time it took effect
    until the next version did (so what was planned before the station's first start, or by a
    plan replaced before its time, is not due). ``requested`` gets the newest targets."""
    out: dict[str, Due] = {}
    by_day: dict[date, list[tuple[datetime, dict[str, Any]]]] = defaultdict(list)
    for day, effective, payload in versions:
        by_day[day].append((effective, json.loads(payload)))
    for day, plans in by_day.items():
        for i, (effective, data) in enumerate(plans):
            until = plans[i + 1][0] if i + 1 < len(plans) else None
            for a in data.get("airings", []):
                start = datetime.fromisoformat(a["start"])
                if start < effective or (until is not None and start >= until):
                    continue
                out[a["airing_id"]] = Due(a["airing_id"], day, a["campaign"], a["clip"], start)
            for cid, n in data.get("requested", {}).items():
                requested[(day, cid)] = int(n)
    return out


def _fates(
    planned: dict[str, Due], rows: Iterable[Any], tz: ZoneInfo, now: datetime | None
) -> tuple[Fates, list[NotCompleted]]:
    """What became of each planned airing, from its row (a completed make-good stands for the
    airing it made good); planned airings with no row whose time has passed are missed."""
    fates = Fates()
    not_completed: list[NotCompleted] = []
    made_good: dict[str, tuple[bool, int]] = {}  # base airing id -> (completed, ms played)
    today = now.astimezone(tz).date() if now is not None else None
    for day, start, cid, clip, status, played, reason, aid, trigger in rows:
        if status == Status.PLAYING.value:  # on air now, or left so by a crash long ago
            status = TO_COME if today is not None and day >= today else Status.INTERRUPTED.value
        if status not in (Status.COMPLETED.value, TO_COME):
            not_completed.append(
                NotCompleted(day, start.astimezone(tz), cid, clip, status, played, reason, aid)
            )
        base = aid.removesuffix(MAKE_GOOD_SUFFIX)
        if trigger == Trigger.MAKE_GOOD.value and base != aid and base in planned:
            done, before = made_good.get(base, (False, 0))
            made_good[base] = (done or status == Status.COMPLETED.value, before + played)
            continue
        if aid in planned and trigger in (Trigger.SCHEDULE.value, Trigger.MAKE_GOOD.value):
            fates[aid] = (status, played)
        else:  # announcements, and scheduled airings no stored plan version made due
            scheduled = trigger in (Trigger.SCHEDULE.value, Trigger.MAKE_GOOD.value)
            fates.extra.append(Extra(cid, clip, status, played, day, scheduled))
    for base, (done, played) in made_good.items():
        state, before = fates.get(base, (Status.MISSED.value, 0))
        fates[base] = (Status.COMPLETED.value if done else state, before + played)
    for due in planned.values():
        if due.airing_id in fates or (now is not None and due.start > now):
            continue
        fates[due.airing_id] = (Status.MISSED.value, 0)
        not_completed.append(
            NotCompleted(
                due.day,
                due.start.astimezone(tz),
                due.campaign,
                due.clip,
                Status.MISSED.value,
                0,
                reasons.NO_RECORD.text(),
                due.airing_id,
            )
        )
    not_completed.sort(key=lambda n: (n.planned_start, n.airing_id))
    return fates, not_completed


def _days(first: date, last: date) -> Iterator[date]:
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def build_report(
    db: Database,
    station_id: str,
    first: date,
    last: date,
    *,
    tz: ZoneInfo,
    issued: date,
    station_name: str = "",
    area: str = "",
    province: str = "",
    prepared_by: str = "",
    titles: Mapping[str, str] | None = None,
    settings: ReportSettings | None = None,
    clip_titles: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Report:
    titles = titles or {}
    campaigns: dict[str, CampaignFigures] = {}

    def figures(cid: str) -> CampaignFigures:
        if cid not in campaigns:
            campaigns[cid] = CampaignFigures(cid, titles.get(cid, cid))
        return campaigns[cid]

    requested: dict[tuple[date, str], int] = {}
    with db.session() as s:
        versions = s.execute(
            select(DayPlanRow.day, DayPlanRow.effective_from, DayPlanRow.plan_json)
            .where(
                DayPlanRow.station_id == station_id,
                DayPlanRow.day >= first,
                DayPlanRow.day <= last,
            )
            .order_by(DayPlanRow.day, DayPlanRow.version)
        ).all()
        planned = _planned(versions, requested)
        rows = s.execute(
            select(
                AiringRow.day,
                AiringRow.planned_start,
                AiringRow.campaign,
                AiringRow.clip,
                AiringRow.status,
                AiringRow.played_ms,
                AiringRow.reason,
                AiringRow.airing_id,
                AiringRow.trigger,
            )
            .where(
                AiringRow.station_id == station_id,
                AiringRow.day >= first,
                AiringRow.day <= last,
                AiringRow.trigger != Trigger.FALLBACK.value,
            )
            .order_by(AiringRow.planned_start, AiringRow.id)
            .execution_options(yield_per=1000)
        )
        fates, not_completed = _fates(planned, rows, tz, now)
    aired: dict[tuple[date, str], int] = defaultdict(int)
    for due in planned.values():
        f = figures(due.campaign)
        fate, played = fates.get(due.airing_id, (None, 0))
        if fate is None:  # not yet due, or on air now
            fate = TO_COME
        f.counts.planned += 1
        f.counts.add(fate, 1, played)
        clip = f.clips.setdefault(due.clip, Counts())
        clip.planned += 1
        clip.add(fate, 1, played)
        if fate == Status.COMPLETED.value:
            aired[(due.day, due.campaign)] += 1
    for (_day, cid), _n in requested.items():
        figures(cid)
    for extra in fates.extra:  # announcements and airings outside every plan
        f = figures(extra.campaign)
        clip = f.clips.setdefault(extra.clip, Counts())
        for counts in (f.counts, clip):
            counts.planned += extra.planned
            counts.add(extra.status, 1, extra.played_ms)
        if extra.planned and extra.status == Status.COMPLETED.value:
            aired[(extra.day, extra.campaign)] += 1
    today = now.astimezone(tz).date() if now is not None else last + timedelta(days=1)
    days = list(_days(first, last))
    grid: dict[tuple[date, str], tuple[int, int]] = {}
    for cid, f in campaigns.items():
        for day in days:
            target = requested.get((day, cid), 0)
            done = aired.get((day, cid), 0)
            grid[(day, cid)] = (done, target)
            f.days_aired += done > 0
            if day >= today:  # a day not over yet is no shortfall (its rest is to come)
                continue
            f.target += target
            f.target_met += min(done, target)
            f.days_below += done < target
    ordered = sorted(campaigns.values(), key=lambda f: f.campaign)
    return Report(
        station_id=station_id,
        station_name=station_name,
        area=area,
        province=province,
        first=first,
        last=last,
        issued=issued,
        prepared_by=prepared_by,
        campaigns=ordered,
        days=days,
        grid=grid,
        not_completed=not_completed,
        settings=settings or ReportSettings(),
        clip_titles=dict(clip_titles or {}),
    )
