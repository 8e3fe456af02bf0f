"""Make-goods: a place later today for airings the station could not air on time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from playout.planning.day import MS, Busy, Demand, find_start, local_time
from playout.planning.model import Airing, Placement
from playout.planning.planner import day_state
from playout.schedule.model import Schedule


def place_make_goods(
    schedule: Schedule,
    day: date,
    booked: Sequence[Airing],
    missed: Sequence[Airing],
    *,
    after: datetime,
    min_spacing: timedelta = timedelta(minutes=10),
) -> tuple[list[Airing], list[Airing]]:
    """Find a place later today for airings the station missed (it was off the air).

    Make-goods go into free time of the campaign's sessions from ``after`` on, never overlap
    ``booked`` airings or blackouts, and keep at least ``min_spacing`` (or the campaign's
    ``min_gap`` when larger) from airings of the same campaign, so that coming back on air never
    means a burst of catch-up airings. Returns (placed, not placed); placed airings keep their id
    and remember the time they were planned for in ``wanted``.
    """
    tz = schedule.station.tz
    after_ms = int(after.timestamp() * MS)
    state = day_state(schedule, day, tz, not_before=after_ms)
    windows = state.windows
    for a in booked:
        if a.day == day:
            state.book(
                Busy(int(a.start.timestamp() * MS), int(a.end.timestamp() * MS), a.campaign, a.clip)
            )
            for w in windows:
                if w.name == a.session:
                    w.used += a.duration_ms
    campaigns = {c.id: (rank, c) for rank, c in enumerate(schedule.campaigns)}
    placed: list[Airing] = []
    unplaced = [a for a in missed if a.campaign not in campaigns]
    order = sorted(
        (a for a in missed if a.campaign in campaigns),
        key=lambda a: (-campaigns[a.campaign][1].priority.rank, a.start, a.airing_id),
    )
    for a in order:
        rank, campaign = campaigns[a.campaign]
        spacing = max(campaign.min_gap, min_spacing)
        demand = Demand(
            campaign.model_copy(update={"min_gap": spacing}),
            rank,
            0,
            a.clip,
            a.duration_ms,
            after_ms,
            None,
            False,
        )
        allowed = [w for w in windows if campaign.sessions is None or w.name in campaign.sessions]
        spot = None
        for w in allowed:
            found = find_start(state, w, w.start, demand)
            if isinstance(found, int):
                spot = (w, found)
                break
        if spot is None:
            unplaced.append(a)
            continue
        w, start = spot
        end = start + a.duration_ms
        w.used += a.duration_ms
        state.book(Busy(start, end, a.campaign, a.clip))
        placed.append(
            Airing(
                start=local_time(start, tz),
                end=local_time(end, tz),
                campaign=a.campaign,
                airing_id=a.airing_id,
                day=day,
                session=w.name,
                clip=a.clip,
                duration_ms=a.duration_ms,
                priority=a.priority,
                placement=Placement.MAKE_GOOD,
                wanted=a.start,
            )
        )
    placed.sort(key=lambda x: x.start)
    return placed, unplaced
