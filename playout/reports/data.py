"""The monthly airtime report's figures, from the as-run log and the stored plans only.

Everything is aggregated in SQL (GROUP BY over the indexed station/day columns), so memory
depends on the number of days, campaigns and clips in the period, not on the rows in the
database. Today's YAML is never read for figures (only for titles).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from playout.schedule.model import ReportSettings
from playout.store import AiringRow, Database, DayPlanRow, Status, Trigger

STATUSES = ("completed", "interrupted", "failed", "missed", "skipped")


@dataclass
class Counts:
    planned: int = 0
    completed: int = 0
    interrupted: int = 0
    failed: int = 0
    missed: int = 0
    skipped: int = 0
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
    district: str
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
    district: str = "",
    province: str = "",
    prepared_by: str = "",
    titles: Mapping[str, str] | None = None,
    settings: ReportSettings | None = None,
    clip_titles: Mapping[str, str] | None = None,
) -> Report:
    titles = titles or {}
    campaigns: dict[str, CampaignFigures] = {}

    def figures(cid: str) -> CampaignFigures:
        if cid not in campaigns:
            campaigns[cid] = CampaignFigures(cid, titles.get(cid, cid))
        return campaigns[cid]

    requested: dict[tuple[date, str], int] = {}
    with db.session() as s:
        latest = (
            select(DayPlanRow.day, func.max(DayPlanRow.version).label("version"))
            .where(
                DayPlanRow.station_id == station_id,
                DayPlanRow.day >= first,
                DayPlanRow.day <= last,
            )
            .group_by(DayPlanRow.day)
            .subquery()
        )
        plans = s.execute(
            select(DayPlanRow.day, DayPlanRow.plan_json)
            .join(
                latest,
                (DayPlanRow.day == latest.c.day) & (DayPlanRow.version == latest.c.version),
            )
            .where(DayPlanRow.station_id == station_id)
        )
        for day, payload in plans:
            data = json.loads(payload)
            for airing in data.get("airings", []):
                f = figures(airing["campaign"])
                f.counts.planned += 1
                f.clips.setdefault(airing["clip"], Counts()).planned += 1
            for cid, n in data.get("requested", {}).items():
                requested[(day, cid)] = int(n)
                figures(cid)
        aired: dict[tuple[date, str], int] = defaultdict(int)
        grouped = s.execute(
            select(
                AiringRow.day,
                AiringRow.campaign,
                AiringRow.clip,
                AiringRow.status,
                func.count(),
                func.coalesce(func.sum(AiringRow.played_ms), 0),
            )
            .where(
                AiringRow.station_id == station_id,
                AiringRow.day >= first,
                AiringRow.day <= last,
                AiringRow.trigger != Trigger.FALLBACK.value,
            )
            .group_by(AiringRow.day, AiringRow.campaign, AiringRow.clip, AiringRow.status)
        )
        for day, cid, clip, status, n, played in grouped:
            f = figures(cid)
            f.counts.add(status, n, played)
            f.clips.setdefault(clip, Counts()).add(status, n, played)
            if status == Status.COMPLETED.value:
                aired[(day, cid)] += n
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
            )
            .where(
                AiringRow.station_id == station_id,
                AiringRow.day >= first,
                AiringRow.day <= last,
                AiringRow.status != Status.COMPLETED.value,
                AiringRow.trigger != Trigger.FALLBACK.value,
            )
            .order_by(AiringRow.planned_start, AiringRow.id)
            .execution_options(yield_per=1000)
        )
        not_completed = [
            NotCompleted(day, start.astimezone(tz), cid, clip, status, played, reason, aid)
            for day, start, cid, clip, status, played, reason, aid in rows
        ]
    days = list(_days(first, last))
    grid: dict[tuple[date, str], tuple[int, int]] = {}
    for cid, f in campaigns.items():
        for day in days:
            target = requested.get((day, cid), 0)
            done = aired.get((day, cid), 0)
            grid[(day, cid)] = (done, target)
            f.target += target
            f.target_met += min(done, target)
            f.days_aired += done > 0
            f.days_below += done < target
    ordered = sorted(campaigns.values(), key=lambda f: f.campaign)
    return Report(
        station_id=station_id,
        station_name=station_name,
        district=district,
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
