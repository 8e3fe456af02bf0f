"""The province report's figures, from the hub's database.

One SQL statement sums the period: the daily counts per (station, day, campaign) that the upload
keeps (``counts.py``) joined with the day targets of the newest plan, summed per (station,
campaign), corrected for make-goods (read from the airings through their index: a completed
make-good stands for the airing it made good, as in the station's report). Memory depends on
stations x campaigns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, Row, select, text

from playout.hub.bundles import campaign_titles
from playout.hub.merges import province_name_on
from playout.hub.schema import bundles, station_merges, stations
from playout.hub.titles import own_titles, title_of
from playout.problems import PlayoutError, did_you_mean
from playout.reports.data import CampaignFigures, Counts
from playout.reports.province import NationalClip, ProvinceReport, StationFigures

_JOINED = """
    WITH counted AS (
        SELECT * FROM daily_counts WHERE day >= :first AND day <= :last
    ), targets AS (
        SELECT station_id, campaign, day, planned, requested
        FROM day_targets
        WHERE day >= :first AND day <= :last
    ), fates AS (
        -- what the make-goods change (as in the station's report): a completed make-good
        -- stands for the airing it made good (whose own row no longer counts), and one that
        -- did not complete counts only its airtime
        SELECT m.station_id, m.day, m.campaign,
               count(*) FILTER (WHERE m.status = 'completed' AND b.status = 'interrupted')
                 + count(*) FILTER (WHERE m.status = 'interrupted') AS interrupted,
               count(*) FILTER (WHERE m.status = 'completed' AND b.status = 'failed')
                 + count(*) FILTER (WHERE m.status = 'failed') AS failed,
               count(*) FILTER (WHERE m.status = 'completed' AND b.status = 'missed')
                 + count(*) FILTER (WHERE m.status = 'missed') AS missed,
               count(*) FILTER (WHERE m.status = 'completed' AND b.status = 'skipped')
                 + count(*) FILTER (WHERE m.status = 'skipped') AS skipped,
               count(*) FILTER (WHERE m.status = 'completed' AND b.status = 'completed')
                 AS completed
        FROM airings m
        JOIN airings b
          ON b.station_id = m.station_id AND b.day = m.day
         AND b.airing_id = left(m.airing_id, -3)
        WHERE m.trigger = 'make-good' AND m.airing_id LIKE '%-mg'
          AND m.day >= :first AND m.day <= :last
        GROUP BY 1, 2, 3
    ), joined AS (
        SELECT coalesce(p.station_id, t.station_id) AS station_id,
               coalesce(p.campaign, t.campaign) AS campaign,
               coalesce(p.day, t.day) AS day,
               coalesce(t.planned, 0) AS planned,
               coalesce(t.requested, 0) AS requested,
               coalesce(p.completed, 0) - coalesce(f.completed, 0) AS completed,
               coalesce(p.interrupted, 0) - coalesce(f.interrupted, 0)
                 -- left 'playing' on a day that is over: cut by a crash
                 + CASE WHEN coalesce(p.day, t.day) < :today THEN coalesce(p.playing, 0)
                        ELSE 0 END AS interrupted,
               coalesce(p.failed, 0) - coalesce(f.failed, 0) AS failed,
               coalesce(p.missed, 0) - coalesce(f.missed, 0) AS missed,
               coalesce(p.skipped, 0) - coalesce(f.skipped, 0) AS skipped,
               coalesce(p.played_ms, 0) AS played_ms
        FROM counted p
        FULL JOIN targets t
          ON p.station_id = t.station_id AND p.campaign = t.campaign AND p.day = t.day
        LEFT JOIN fates f
          ON f.station_id = coalesce(p.station_id, t.station_id)
         AND f.campaign = coalesce(p.campaign, t.campaign)
         AND f.day = coalesce(p.day, t.day)
    )"""

# the days an old station's rows count for the station it was merged into (see merges.py),
# summed per day first, so that a day aired by two old stations is one day of the new one
_MAPPED = """, mapped AS (
        SELECT coalesce(m.new_id, j.station_id) AS station_id, j.campaign, j.day,
               sum(j.planned) AS planned, sum(j.requested) AS requested,
               sum(j.completed) AS completed, sum(j.interrupted) AS interrupted,
               sum(j.failed) AS failed, sum(j.missed) AS missed, sum(j.skipped) AS skipped,
               sum(j.played_ms) AS played_ms
        FROM joined j
        LEFT JOIN station_merges m ON m.old_id = j.station_id AND j.day >= m.merged_on
        GROUP BY 1, 2, 3
    )"""

_SUMS = """
    SELECT station_id, campaign,
           sum(planned) AS planned,
           sum(completed) AS completed,
           sum(interrupted) AS interrupted,
           sum(failed) AS failed,
           sum(missed) AS missed,
           sum(skipped) AS skipped,
           -- a day not over yet: what has no row is still to come, and it is no shortfall
           sum(CASE WHEN day >= :today
                    THEN greatest(0, planned - completed - interrupted - failed - missed - skipped)
                    ELSE 0 END) AS to_come,
           sum(played_ms) AS played_ms,
           sum(CASE WHEN day < :today THEN requested ELSE 0 END) AS target,
           sum(CASE WHEN day < :today THEN least(completed, requested) ELSE 0 END)
               AS target_met,
           count(*) FILTER (WHERE completed > 0) AS days_aired,
           count(*) FILTER (WHERE day < :today AND completed < requested) AS days_below
    FROM days
    GROUP BY 1, 2
    """

# constant parts only: no value of a request is ever pasted in (they are bound parameters)
FIGURES = text(_JOINED + _SUMS.replace("FROM days", "FROM joined"))
FIGURES_MERGED = text(_JOINED + _MAPPED + _SUMS.replace("FROM days", "FROM mapped"))


NATIONAL = text(
    """
    WITH clips AS (
        SELECT DISTINCT b.name AS bundle, f->>'sha256' AS sha256, f->>'path' AS path
        FROM bundles b, jsonb_array_elements(b.manifest->'files') f
        WHERE f->>'kind' = 'clip'
    )
    SELECT coalesce(m.new_id, a.station_id) AS station_id, c.bundle, c.path, c.sha256,
           count(*) FILTER (WHERE a.status = 'completed') AS aired,
           coalesce(sum(a.played_ms), 0) AS played_ms
    FROM clips c
    JOIN airings a ON a.clip_sha256 = c.sha256
    LEFT JOIN station_merges m ON m.old_id = a.station_id AND a.day >= m.merged_on
    WHERE a.day >= :first AND a.day <= :last AND a.trigger <> 'fallback'
      -- the province's clip aired for the province only where the station took its bundle: the
      -- same audio in a station's own campaign is the station's
      AND EXISTS (SELECT 1 FROM rollout r
                  WHERE r.station_id = a.station_id AND r.name = c.bundle
                    AND r.state IN ('applied', 'removed'))
    GROUP BY 1, 2, 3, 4
    """
)


PARTITIONS = text(
    """
    SELECT c.relname FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = 'airings'
    """
)


def months_with_airings(engine: Engine) -> list[tuple[int, int]]:
    """(year, month) of every month some station sent airings for: the airings' monthly
    partitions, made on a month's first upload (read from the catalogue: no table is scanned)."""
    with engine.connect() as conn:
        names = [str(r[0]) for r in conn.execute(PARTITIONS)]
    found = []
    for name in names:
        match = re.fullmatch(r"airings_(\d{4})_(\d{2})", name)
        if match:
            found.append((int(match[1]), int(match[2])))
    return sorted(found)


def build_province_report(
    engine: Engine,
    first: date,
    last: date,
    *,
    issued: date,
    area: str | None = None,
    province: str = "",
    prepared_by: str = "",
) -> ProvinceReport:
    query = select(
        stations.c.id,
        stations.c.name,
        stations.c.area,
        stations.c.province,
        stations.c.timezone,
        stations.c.last_contact,
        stations.c.removed_at,
    ).order_by(stations.c.area, stations.c.id)
    if area is not None:
        query = query.where(stations.c.area == area)
    with engine.connect() as conn:
        registered = conn.execute(query).all()  # read once: the stations and their provinces
        found = {
            r.id: StationFigures(r.id, r.name, r.area, r.timezone, r.last_contact)
            for r in registered
        }
        provinces = [r.province for r in registered if r.province]
        named = province or province_name_on(conn, last)  # the hub's setting, if it has one
        # the join and the sums of a national month fit in memory rather than spill to disk
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        # the province's clips and titles: only once the province has published some
        published = conn.execute(select(bundles.c.id).limit(1)).first() is not None
        titles = campaign_titles(conn) if published else {}
        own = own_titles(conn, first, last)  # the stations' own campaigns' titles
        merged = conn.execute(select(station_merges.c.old_id).limit(1)).first() is not None
        figures = FIGURES_MERGED if merged else FIGURES
        for r in conn.execute(figures, {"first": first, "last": last, "today": issued}):
            station = found.get(r.station_id)
            if station is None:  # another area
                continue
            station.campaigns.append(
                CampaignFigures(
                    r.campaign,
                    title_of(r.campaign, r.station_id, titles, own),
                    Counts(
                        planned=int(r.planned),
                        completed=int(r.completed),
                        interrupted=int(r.interrupted),
                        failed=int(r.failed),
                        missed=int(r.missed),
                        skipped=int(r.skipped),
                        to_come=int(r.to_come),
                        played_ms=int(r.played_ms),
                    ),
                    target=int(r.target),
                    target_met=int(r.target_met),
                    days_aired=int(r.days_aired),
                    days_below=int(r.days_below),
                )
            )
        national: Sequence[Row[Any]] = (
            conn.execute(NATIONAL, {"first": first, "last": last}).all() if published else []
        )
        for r in national:
            station = found.get(r.station_id)
            if station is not None:
                station.national.append(
                    NationalClip(r.bundle, r.path, r.sha256, int(r.aired), int(r.played_ms))
                )
    if area is not None and not found:
        with engine.connect() as conn:
            known = [r[0] for r in conn.execute(select(stations.c.area).distinct())]
        raise PlayoutError(
            f"no station of the hub is in the area {area!r}",
            did_you_mean(area, known) if known else "register stations first",
        )
    removed = {r.id for r in registered if r.removed_at is not None}
    for sid in [sid for sid in removed if not found[sid].has_data]:
        del found[sid]  # removed from the hub, and nothing of it in this period
    for s in found.values():
        s.campaigns.sort(key=lambda f: f.campaign)
    province = named or ""
    if not province and provinces:
        province = max(set(provinces), key=provinces.count)
    return ProvinceReport(
        province=province,
        area=area or "",
        first=first,
        last=last,
        issued=issued,
        prepared_by=prepared_by,
        stations=list(found.values()),
    )
