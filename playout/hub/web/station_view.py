"""What the dashboard's station page shows: today's as-run log beside today's plan (so an airing
that is due but not reported shows as such), the month's aired and target per day and campaign,
the station's clips, its alert level and its sync state."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, select, text

from playout.hub.schema import airings, alert_levels, day_plans, refused_rows, station_clips
from playout.hub.titles import own_titles
from playout.hub.web.overview import StationLine, station_lines


@dataclass(frozen=True)
class LogLine:
    planned_start: datetime
    actual_start: datetime | None
    campaign: str
    clip: str
    status: str  # an as-run status, or "upcoming" / "unreported" for a planned airing
    reason: str
    played_ms: int
    trigger: str


@dataclass(frozen=True)
class Clip:
    sha256: str
    title: str
    duration_ms: int
    loudness: float
    imported_at: datetime


@dataclass(frozen=True)
class Level:
    level: int
    since: datetime
    until: datetime | None
    reason: str
    operator: str


@dataclass
class StationView:
    line: StationLine
    day: date
    log: list[LogLine]
    month_days: list[date]
    # campaign -> [(aired, target)] per day of month_days
    month: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    clips: list[Clip] = field(default_factory=list)
    level: Level | None = None
    refused: int = 0
    last_refusal: str = ""
    titles: dict[str, str] = field(default_factory=dict)  # its own campaigns' this month


# the station's days, and the days from a merge on of the stations merged into it (as the
# province report counts them: a day two old stations both aired sums their airings)
MONTH_DAYS = text(
    """
    WITH ids AS (
        SELECT CAST(:station AS text) AS station_id, CAST(NULL AS date) AS since
        UNION ALL
        SELECT old_id, merged_on FROM station_merges WHERE new_id = :station
    )
    SELECT coalesce(t.day, c.day) AS day, coalesce(t.campaign, c.campaign) AS campaign,
           sum(coalesce(c.completed, 0)) AS aired, sum(coalesce(t.requested, 0)) AS target
    FROM (SELECT x.* FROM day_targets x JOIN ids ON x.station_id = ids.station_id
          WHERE x.day BETWEEN :first AND :last AND (ids.since IS NULL OR x.day >= ids.since)) t
    FULL JOIN (SELECT x.* FROM daily_counts x JOIN ids ON x.station_id = ids.station_id
               WHERE x.day BETWEEN :first AND :last
                 AND (ids.since IS NULL OR x.day >= ids.since)) c
      ON c.station_id = t.station_id AND c.day = t.day AND c.campaign = t.campaign
    GROUP BY 1, 2
    """
)


def _month_days(day: date) -> list[date]:
    """The month up to ``day``: later days have no target yet."""
    first = day.replace(day=1)
    return [first + timedelta(days=i) for i in range(day.day)]


def station_view(
    engine: Engine, station_id: str, now: datetime, silent_after: timedelta
) -> StationView | None:
    lines = station_lines(engine, now, silent_after, station=station_id)
    if not lines:
        return None
    line = lines[0]
    day = line.today_at(now)
    days = _month_days(day)
    with engine.connect() as conn:
        reported = conn.execute(
            select(airings)
            .where(airings.c.station_id == station_id, airings.c.day == day)
            .order_by(airings.c.planned_start)
        ).all()
        plan = conn.execute(
            select(day_plans.c.plan)
            .where(day_plans.c.station_id == station_id, day_plans.c.day == day)
            .order_by(day_plans.c.version.desc())
            .limit(1)
        ).scalar()
        month_rows = conn.execute(
            MONTH_DAYS, {"station": station_id, "first": days[0], "last": days[-1]}
        ).all()
        own = own_titles(conn, days[0], days[-1], station_id)
        clips = conn.execute(
            select(station_clips)
            .where(station_clips.c.station_id == station_id)
            .order_by(station_clips.c.title)
        ).all()
        level = conn.execute(
            select(alert_levels)
            .where(alert_levels.c.station_id == station_id, alert_levels.c.since <= now)
            .order_by(alert_levels.c.since.desc(), alert_levels.c.level_id.desc())
            .limit(1)
        ).first()
        refused = conn.execute(
            select(func.count(), func.max(refused_rows.c.received_at)).where(
                refused_rows.c.station_id == station_id
            )
        ).one()
        last_refusal = conn.execute(
            select(refused_rows.c.reason)
            .where(refused_rows.c.station_id == station_id)
            .order_by(refused_rows.c.id.desc())
            .limit(1)
        ).scalar()
    log = [
        LogLine(
            r.planned_start,
            r.actual_start,
            r.campaign,
            r.clip,
            r.status,
            r.reason,
            r.played_ms,
            r.trigger,
        )
        for r in reported
    ]
    known = {r.airing_id for r in reported}
    due_before = now - silent_after
    for a in (plan or {}).get("airings", []):
        if a.get("airing_id") in known:
            continue
        start = datetime.fromisoformat(a["start"])
        end = datetime.fromisoformat(a["end"])
        status = "unreported" if end <= due_before else "upcoming"
        log.append(LogLine(start, None, a["campaign"], a["clip"], status, "", 0, "schedule"))
    log.sort(key=lambda entry: entry.planned_start)
    grid: dict[str, dict[date, tuple[int, int]]] = defaultdict(dict)
    for r in month_rows:
        grid[r.campaign][r.day] = (int(r.aired), int(r.target))
    month = {c: [by_day.get(d, (0, 0)) for d in days] for c, by_day in sorted(grid.items())}
    current = None
    if level is not None and (level.until is None or level.until > now):
        current = Level(level.level, level.since, level.until, level.reason, level.operator)
    return StationView(
        line=line,
        day=day,
        log=log,
        month_days=days,
        month=month,
        clips=[
            Clip(c.sha256, c.title, c.duration_ms, c.loudness_after, c.imported_at) for c in clips
        ],
        level=current,
        refused=int(refused[0]),
        last_refusal=str(last_refusal or ""),
        titles={campaign: title for (_, campaign), title in own.items()},
    )
