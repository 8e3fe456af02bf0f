"""The figures of the dashboard's overview, read from the hub's database in four statements
whatever the number of stations: the stations, today's sessions and due airings from each
station's newest plan (one index lookup per station), today's counts and targets, and the month's
share of target.

"Today" is each station's own day in its own time zone. Everything read is kept by the upload
(``day_sessions``, ``daily_counts``, ``day_targets``); neither the airings nor the plans' JSON
are read here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select, text

from playout.hub.schema import stations
from playout.hub.users import User
from playout.hub.web.state import Span, Tally, Today, Verdict, judge

# every statement starts from the same stations: not revoked, of one area ('' = all) or of
# one station ('' = all), with each station's today
_STATIONS = """
    WITH st AS MATERIALIZED (
        SELECT id, today, date_trunc('month', today)::date AS first
        FROM (
            SELECT id, revoked_at, area,
                   (CAST(:now AS timestamptz) AT TIME ZONE timezone)::date AS today
            FROM stations
        ) s
        WHERE revoked_at IS NULL
          AND (:area = '' OR area = :area)
          AND (:station = '' OR id = :station)
    )
"""

SESSIONS = text(
    _STATIONS
    + """
    SELECT st.id AS station_id, st.today, s.day, s.session, s.first_start, s.last_end,
           (SELECT count(*) FROM unnest(s.ends) e
            WHERE e <= :due_before
              AND e >= coalesce((SELECT min(r.started_at) FROM daemon_runs r
                                 WHERE r.station_id = st.id), '-infinity')) AS due
    FROM st
    CROSS JOIN LATERAL (
        SELECT * FROM day_sessions s
        WHERE s.station_id = st.id
          AND s.day = (SELECT max(day) FROM day_sessions p
                       WHERE p.station_id = st.id AND p.day <= st.today)
    ) s
    """
)

TODAY = text(
    _STATIONS
    + """
    SELECT coalesce(c.station_id, t.station_id) AS station_id,
           coalesce(c.campaign, t.campaign) AS campaign,
           coalesce(t.planned, 0) AS planned,
           coalesce(c.completed + c.playing, 0) AS aired,
           coalesce(c.missed + c.failed, 0) AS missed,
           coalesce(c.interrupted + c.skipped, 0) AS other,
           coalesce(t.title, '') AS title
    FROM (SELECT c.* FROM st JOIN daily_counts c ON c.station_id = st.id AND c.day = st.today) c
    FULL JOIN (SELECT t.* FROM st JOIN day_targets t ON t.station_id = st.id AND t.day = st.today) t
      ON c.station_id = t.station_id AND c.campaign = t.campaign
    """
)

# the month before today (whole days only): the share of the target met
MONTH = text(
    _STATIONS
    + """
    SELECT t.station_id,
           sum(t.requested) AS target,
           sum(least(coalesce(c.completed, 0), t.requested)) AS met
    FROM st
    JOIN day_targets t ON t.station_id = st.id AND t.day >= st.first AND t.day < st.today
    LEFT JOIN daily_counts c
        ON c.station_id = t.station_id AND c.day = t.day AND c.campaign = t.campaign
    GROUP BY 1
    """
)

STATIONS = text(
    """
    SELECT id, name, area, province, timezone, last_contact, software, acked_seq
    FROM stations
    WHERE revoked_at IS NULL
      AND (:area = '' OR area = :area)
      AND (:station = '' OR id = :station)
    ORDER BY area, name, id
    """
)


@dataclass
class StationLine:
    id: str
    name: str
    area: str
    province: str
    timezone: str
    last_contact: datetime | None
    software: str
    acked_seq: int
    today: Today = field(default_factory=Today)
    target: int = 0  # this month before today
    met: int = 0
    verdict: Verdict | None = None

    @property
    def share(self) -> float | None:
        return self.met / self.target if self.target else None

    def today_at(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()


@dataclass
class ShareCache:
    """The month's share of target per station, kept ``ttl`` seconds (monotonic clock): it is
    the sum of whole days before today, which change only when a station sends late data, and
    it is the slowest figure to read. One per server process, made by the app."""

    ttl: float = 300.0
    entries: dict[tuple[str, str], tuple[float, dict[str, tuple[int, int]]]] = field(
        default_factory=dict
    )

    def get(self, key: tuple[str, str]) -> dict[str, tuple[int, int]] | None:
        found = self.entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: tuple[str, str], value: dict[str, tuple[int, int]]) -> None:
        if len(self.entries) > 1000:
            self.entries.clear()
        self.entries[key] = (time.monotonic() + self.ttl, value)


def _shares(
    conn: Connection, params: dict[str, object], cache: ShareCache | None
) -> dict[str, tuple[int, int]]:
    key = (str(params["area"]), str(params["station"]))
    found = cache.get(key) if cache is not None else None
    if found is None:
        found = {sid: (int(t), int(m)) for sid, t, m in conn.execute(MONTH, params)}
        if cache is not None:
            cache.put(key, found)
    return found


def _read(
    conn: Connection,
    now: datetime,
    silent_after: timedelta,
    area: str,
    station: str,
    shares: ShareCache | None,
) -> list[StationLine]:
    params = {"now": now, "area": area, "station": station}
    found = {
        r.id: StationLine(
            r.id,
            r.name,
            r.area,
            r.province,
            r.timezone,
            r.last_contact,
            r.software,
            r.acked_seq,
        )
        for r in conn.execute(STATIONS, params)
    }
    sessions = conn.execute(SESSIONS, {**params, "due_before": now - silent_after})
    for station_id, today, day, session, first_start, last_end, due in sessions:
        line = found[station_id]
        shift = today - day  # an earlier day's plan stands in: its sessions moved to today
        line.today.spans.append(Span(session, first_start + shift, last_end + shift))
        if not shift:
            line.today.has_plan = True
            line.today.due += due
    for station_id, campaign, planned, aired, missed, other, title in conn.execute(TODAY, params):
        found[station_id].today.campaigns[campaign] = Tally(planned, aired, missed, other)
        if title:
            found[station_id].today.titles[campaign] = title
    for station_id, (target, met) in _shares(conn, params, shares).items():
        if station_id in found:
            found[station_id].target, found[station_id].met = target, met
    for line in found.values():
        line.today.spans.sort(key=lambda s: s.start)
        line.today.campaigns = dict(sorted(line.today.campaigns.items()))
        line.verdict = judge(line.last_contact, line.today, now, silent_after)
    return list(found.values())


def station_lines(
    engine: Engine,
    now: datetime,
    silent_after: timedelta,
    *,
    area: str = "",
    station: str = "",
    shares: ShareCache | None = None,
) -> list[StationLine]:
    """Every live station (of ``area``, or only ``station``) with today's figures and its
    state, ordered by area and name."""
    with engine.connect() as conn:
        return _read(conn, now, silent_after, area, station, shares)


def area_names(engine: Engine, user: User) -> list[str]:
    """The areas a user may choose (its own, or all of the province's)."""
    query = select(stations.c.area).distinct().where(stations.c.area != "")
    if user.area:
        query = query.where(stations.c.area == user.area)
    with engine.connect() as conn:
        return sorted((str(d) for d in conn.execute(query).scalars()), key=str.casefold)
