"""The figures of the dashboard's overview, read from the hub's database in three statements
whatever the number of stations: today's sessions and due airings from each station's newest plan
(one index lookup per station), today's counts and targets, and the month's share of target.

"Today" is each station's own day in its own time zone. The counts are the ones the upload keeps
(``daily_counts``, ``day_targets``); the airings themselves are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, text

from playout.hub.web.state import Span, Tally, Today, Verdict, judge

# every statement starts from the same stations: not revoked, of one district ('' = all) or of
# one station ('' = all), with each station's today
_STATIONS = """
    WITH st AS (
        SELECT id, (CAST(:now AS timestamptz) AT TIME ZONE timezone)::date AS today
        FROM stations
        WHERE revoked_at IS NULL
          AND (:district = '' OR district = :district)
          AND (:station = '' OR id = :station)
    )
"""

SESSIONS = text(
    _STATIONS
    + """
    SELECT st.id AS station_id, st.today, p.day, a->>'session' AS session,
           min((a->>'start')::timestamptz) AS first_start,
           max((a->>'end')::timestamptz) AS last_end,
           count(*) FILTER (WHERE (a->>'end')::timestamptz <= :due_before) AS due
    FROM st
    CROSS JOIN LATERAL (
        SELECT day, plan FROM day_plans p
        WHERE p.station_id = st.id AND p.day <= st.today
        ORDER BY p.day DESC, p.version DESC
        LIMIT 1
    ) p
    CROSS JOIN LATERAL jsonb_array_elements(p.plan->'airings') a
    GROUP BY 1, 2, 3, 4
    """
)

COUNTS = text(
    _STATIONS
    + """
    SELECT c.station_id, c.campaign,
           c.completed + c.playing AS aired,
           c.missed + c.failed AS missed,
           c.interrupted + c.skipped AS other
    FROM st JOIN daily_counts c ON c.station_id = st.id AND c.day = st.today
    """
)

TARGETS = text(
    _STATIONS
    + """
    SELECT t.station_id, t.campaign, t.planned
    FROM st JOIN day_targets t ON t.station_id = st.id AND t.day = st.today
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
    JOIN day_targets t ON t.station_id = st.id
        AND t.day >= date_trunc('month', st.today)::date AND t.day < st.today
    LEFT JOIN daily_counts c
        ON c.station_id = t.station_id AND c.day = t.day AND c.campaign = t.campaign
    GROUP BY 1
    """
)

STATIONS = text(
    """
    SELECT id, name, district, province, timezone, last_contact, software, acked_seq
    FROM stations
    WHERE revoked_at IS NULL
      AND (:district = '' OR district = :district)
      AND (:station = '' OR id = :station)
    ORDER BY district, name, id
    """
)


@dataclass
class StationLine:
    id: str
    name: str
    district: str
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


def _read(
    conn: Connection, now: datetime, silent_after: timedelta, district: str, station: str
) -> list[StationLine]:
    params = {"now": now, "district": district, "station": station}
    found = {
        r.id: StationLine(
            r.id,
            r.name,
            r.district,
            r.province,
            r.timezone,
            r.last_contact,
            r.software,
            r.acked_seq,
        )
        for r in conn.execute(STATIONS, params)
    }
    for r in conn.execute(SESSIONS, {**params, "due_before": now - silent_after}):
        line = found[r.station_id]
        shift = r.today - r.day  # an earlier day's plan stands in: its sessions moved to today
        line.today.spans.append(Span(r.session, r.first_start + shift, r.last_end + shift))
        if not shift:
            line.today.has_plan = True
            line.today.due += r.due
    for r in conn.execute(TARGETS, params):
        found[r.station_id].today.campaigns.setdefault(r.campaign, Tally()).planned = r.planned
    for r in conn.execute(COUNTS, params):
        tally = found[r.station_id].today.campaigns.setdefault(r.campaign, Tally())
        tally.aired, tally.missed, tally.other = r.aired, r.missed, r.other
    for r in conn.execute(MONTH, params):
        found[r.station_id].target = int(r.target)
        found[r.station_id].met = int(r.met)
    for line in found.values():
        line.today.spans.sort(key=lambda s: s.start)
        line.verdict = judge(line.last_contact, line.today, now, silent_after)
    return list(found.values())


def station_lines(
    engine: Engine,
    now: datetime,
    silent_after: timedelta,
    *,
    district: str = "",
    station: str = "",
) -> list[StationLine]:
    """Every live station (of ``district``, or only ``station``) with today's figures and its
    state, ordered by district and name."""
    with engine.connect() as conn:
        return _read(conn, now, silent_after, district, station)
