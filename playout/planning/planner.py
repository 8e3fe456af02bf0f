"""The planner: a pure function from a schedule and a period to the airings of that period.

It reads no clock, no database and no files. All placement is done on absolute instants
(integer milliseconds since the epoch) inside each day's session windows, so days with a
daylight-saving change neither repeat nor lose an airing; times are shown in the station's zone.

Rules, in order:

1. Airings only inside an active session, never overlapping a blackout or another airing.
2. Demands are placed by priority (high first), fixed ``at`` times before spread ones, then in
   the order the campaigns are written; the first placed keeps its time.
3. A demand goes to the free instant nearest its wanted time in its session (respecting
   ``min_gap`` to the same campaign or clip, and the session's ``max_spots`` airtime cap), else
   to the earliest free instant of a later session of that day, else it becomes a
   :class:`Shortfall` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playout.i18n import Msg
from playout.planning.day import (
    MS,
    Busy,
    DayState,
    Demand,
    Window,
    local_time,
    place,
)
from playout.planning.frequency import NORMAL_LEVEL, per_day, requested_before
from playout.planning.model import Airing, DayCount, Placement, Plan, Shortfall
from playout.planning.rotation import clip_index
from playout.schedule.model import Campaign, Schedule


class PlanningError(Exception):
    """The planner was called with inputs the loader should have rejected."""


def _instant(day: date, t: time, tz: ZoneInfo) -> int:
    return int(datetime.combine(day, t, tzinfo=tz).timestamp()) * MS


def plan(
    schedule: Schedule,
    first: date,
    last: date,
    *,
    durations: Mapping[str, int],
    level: int = NORMAL_LEVEL,
) -> Plan:
    """The airings from ``first`` to ``last`` (both included, station-local dates).

    ``durations`` gives each clip's length in milliseconds, measured from the real audio.
    """
    if last < first:
        raise PlanningError(f"the period ends ({last}) before it starts ({first})")
    tz = schedule.station.tz
    airings: list[Airing] = []
    shortfalls: list[Shortfall] = []
    counts: list[DayCount] = []
    offsets = {c.id: requested_before(c, first) for c in schedule.campaigns}
    day = first
    while day <= last:
        a, s, c = _plan_day(schedule, day, tz, durations, level, offsets)
        airings.extend(a)
        shortfalls.extend(s)
        counts.extend(c)
        for campaign in schedule.campaigns:
            offsets[campaign.id] += per_day(campaign, day, NORMAL_LEVEL)
        day += timedelta(days=1)
    airings.sort(key=lambda x: (x.start, x.campaign, x.airing_id))
    shortfalls.sort(key=lambda x: (x.day, x.airing_id))
    return Plan(
        station=schedule.station.id,
        first=first,
        last=last,
        level=level,
        airings=tuple(airings),
        shortfalls=tuple(shortfalls),
        counts=tuple(counts),
    )


def _plan_day(
    schedule: Schedule,
    day: date,
    tz: ZoneInfo,
    durations: Mapping[str, int],
    level: int,
    offsets: Mapping[str, int],
) -> tuple[list[Airing], list[Shortfall], list[DayCount]]:
    state = day_state(schedule, day, tz)

    demands: list[Demand] = []
    shortfalls: list[Shortfall] = []
    counts: list[DayCount] = []
    for rank, campaign in enumerate(schedule.campaigns):
        n = per_day(campaign, day, level)
        if not campaign.active_on(day):
            continue
        made = make_demands(schedule, campaign, rank, n, state, tz, durations, offsets[campaign.id])
        demands.extend(made)
        counts.append(DayCount(day, campaign.id, n, 0))

    demands.sort(key=lambda d: (-d.campaign.priority.rank, not d.fixed, d.rank, d.number))
    airings: list[Airing] = []
    ids = _airing_ids(day, demands, tz)
    for d in demands:
        result = place(state, d, schedule)
        airing_id = ids[id(d)]
        wanted_dt = local_time(d.wanted, tz) if d.fixed else None
        if isinstance(result, Msg):  # the plan keeps the English reason, as logs do
            shortfalls.append(
                Shortfall(day, d.campaign.id, airing_id, d.clip, str(result), wanted_dt, result)
            )
            continue
        window, start = result
        end = start + d.duration
        window.used += d.duration
        state.book(Busy(start, end, d.campaign.id, d.clip))
        if d.fixed:
            placement = Placement.SLOT if start == d.wanted else Placement.MOVED
        else:
            placement = Placement.SPREAD
        airings.append(
            Airing(
                start=local_time(start, tz),
                end=local_time(end, tz),
                campaign=d.campaign.id,
                airing_id=airing_id,
                day=day,
                session=window.name,
                clip=d.clip,
                duration_ms=d.duration,
                priority=d.campaign.priority,
                placement=placement,
                wanted=wanted_dt if placement is Placement.MOVED else None,
            )
        )
    placed: dict[str, int] = {}
    for a in airings:
        placed[a.campaign] = placed.get(a.campaign, 0) + 1
    counts = [DayCount(c.day, c.campaign, c.requested, placed.get(c.campaign, 0)) for c in counts]
    return airings, shortfalls, counts


def _airing_ids(day: date, demands: list[Demand], tz: ZoneInfo) -> dict[int, str]:
    """Each demand's airing id, which must survive edits of the schedule (the daemon decides
    by it what aired): an ``at`` time is named by its wanted time ("20200805-bluezone-0630",
    seconds when it has them, "-2" for the same time given twice), so adding or removing
    another time renames nothing; a spread airing by its number in the campaign's day."""
    ids: dict[int, str] = {}
    seen: dict[tuple[str, int], int] = {}
    for d in sorted(demands, key=lambda x: (x.campaign.id, x.number)):
        if not d.fixed:
            ids[id(d)] = f"{day:%Y%m%d}-{d.campaign.id}-{d.number + 1:02d}"
            continue
        wanted = local_time(d.wanted, tz)
        name = f"{wanted:%H%M%S}" if wanted.second else f"{wanted:%H%M}"
        n = seen[(d.campaign.id, d.wanted)] = seen.get((d.campaign.id, d.wanted), 0) + 1
        ids[id(d)] = f"{day:%Y%m%d}-{d.campaign.id}-{name}" + (f"-{n}" if n > 1 else "")
    return ids


def day_state(schedule: Schedule, day: date, tz: ZoneInfo, not_before: int = 0) -> DayState:
    """The day's session windows (from ``not_before`` on) with its blackouts booked."""
    windows = []
    for name, s in schedule.sessions.items():
        if day.weekday() not in s.days:
            continue
        start = max(_instant(day, s.start, tz), not_before)
        end = _instant(day, s.end, tz)
        if end <= start:  # a session already over, or a daylight-saving jump
            continue
        cap = int(s.max_spots.total_seconds() * MS) if s.max_spots is not None else None
        windows.append(Window(name, start, end, cap))
    state = DayState(day, windows)
    for bo in schedule.blackouts:
        if bo.active_on(day):
            state.book(Busy(_instant(day, bo.start, tz), _instant(day, bo.end, tz)))
    return state


def make_demands(
    schedule: Schedule,
    campaign: Campaign,
    rank: int,
    n: int,
    state: DayState,
    tz: ZoneInfo,
    durations: Mapping[str, int],
    offset: int,
) -> list[Demand]:
    playlist = schedule.campaign_clips(campaign)
    seed = f"{schedule.station.id}/{campaign.id}"

    def clip_for(number: int) -> tuple[str, int]:
        clip = playlist.clips[clip_index(playlist, offset + number, seed)].file
        if clip not in durations:
            raise PlanningError(f"no duration known for the clip {clip!r}")
        return clip, durations[clip]

    allowed = [w for w in state.windows if campaign.sessions is None or w.name in campaign.sessions]
    out: list[Demand] = []
    if campaign.at is not None:
        for number, t in enumerate(sorted(campaign.at)):
            wanted = _instant(state.day, t, tz)
            inside = next((w.name for w in allowed if w.start <= wanted < w.end), None)
            clip, duration = clip_for(number)
            out.append(Demand(campaign, rank, number, clip, duration, wanted, inside, True))
        return out
    if not allowed:
        for number in range(n):
            clip, duration = clip_for(number)
            out.append(Demand(campaign, rank, number, clip, duration, 0, None, False))
        return out
    share, extra = divmod(n, len(allowed))
    targets: list[tuple[int, str]] = []
    for i, w in enumerate(allowed):
        m = share + (1 if i < extra else 0)
        targets.extend((t, w.name) for t in _spread(w, m, state.all()))
    targets.sort()
    for number, (wanted, session) in enumerate(targets):
        clip, duration = clip_for(number)
        out.append(Demand(campaign, rank, number, clip, duration, wanted, session, False))
    return out


def _spread(window: Window, m: int, busy: list[Busy]) -> list[int]:
    """``m`` instants spread evenly over the session's time outside blackouts."""
    if m <= 0:
        return []
    free = _subtract([(window.start, window.end)], [(b.start, b.end) for b in busy])
    total = sum(b - a for a, b in free) or (window.end - window.start)
    if not free:
        free = [(window.start, window.end)]
    out = []
    for j in range(m):
        offset = (2 * j + 1) * total // (2 * m)
        for a, b in free:
            if offset < b - a:
                out.append((a + offset) // MS * MS)
                break
            offset -= b - a
        else:  # pragma: no cover - offset < total by construction
            out.append(free[-1][1])
    return out


def _subtract(spans: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    for h0, h1 in sorted(holes):
        nxt = []
        for a, b in spans:
            if h1 <= a or h0 >= b:
                nxt.append((a, b))
                continue
            if a < h0:
                nxt.append((a, h0))
            if h1 < b:
                nxt.append((h1, b))
        spans = nxt
    return spans
