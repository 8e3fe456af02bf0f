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

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playout.planning.frequency import NORMAL_LEVEL, per_day, requested_before
from playout.planning.model import Airing, DayCount, Placement, Plan, Shortfall
from playout.planning.rotation import clip_index
from playout.schedule.model import Campaign, Schedule
from playout.schedule.types import format_span, format_time

MS = 1000


class PlanningError(Exception):
    """The planner was called with inputs the loader should have rejected."""


@dataclass
class _Window:
    name: str
    start: int
    end: int
    cap: int | None
    used: int = 0
    # (campaign, clip, duration, gap) that found no room: bookings only grow within a day,
    # so it never will (a full session then fails at once, not after a search)
    no_room: set[tuple[str, str, int, int]] = field(default_factory=set)
    packed: int = -1  # [start, packed) is booked solid: no airing can start there


@dataclass
class _Busy:
    start: int
    end: int
    campaign: str | None = None
    clip: str | None = None


@dataclass
class _Demand:
    campaign: Campaign
    rank: int  # campaign order in the schedule
    number: int  # 0-based index of the airing in the campaign's day
    clip: str
    duration: int
    wanted: int
    session: str | None  # session the wanted time belongs to
    fixed: bool  # an explicit 'at' time


LONG_SPAN = 10 * 60 * MS  # blackouts and long clips are kept apart from the spots


@dataclass
class _Day:
    """A day being planned: its session windows and what is booked, kept sorted by start so
    that finding a free instant near a wanted time looks only at the neighbourhood."""

    day: date
    windows: list[_Window]
    busy: list[_Busy] = field(default_factory=list)  # short spans, sorted by start
    starts: list[int] = field(default_factory=list)  # busy[i].start, for bisect
    longest: int = 0  # the longest short span
    long: list[_Busy] = field(default_factory=list)  # long spans (blackouts): few, all checked

    def book(self, item: _Busy) -> None:
        if item.end - item.start > LONG_SPAN:
            self.long.append(item)
            return
        i = bisect.bisect_right(self.starts, item.start)
        self.starts.insert(i, item.start)
        self.busy.insert(i, item)
        self.longest = max(self.longest, item.end - item.start)

    def all(self) -> list[_Busy]:
        return sorted([*self.busy, *self.long], key=lambda b: b.start)

    def packed_from(self, w: _Window) -> int:
        """The first instant of the window not booked solid from its start."""
        p = max(w.packed, w.start)
        while True:
            reach = max((b.end for b in self.near(p, p) if b.start <= p < b.end), default=None)
            if reach is None:
                break
            p = reach
        w.packed = p
        return p

    def near(self, low: int, high: int) -> list[_Busy]:
        """Booked spans that may overlap [low, high]."""
        first = bisect.bisect_left(self.starts, low - self.longest)
        last = bisect.bisect_right(self.starts, high)
        found = self.busy[first:last]
        found.extend(b for b in self.long if b.end >= low and b.start <= high)
        return found


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
    state = _day_state(schedule, day, tz)

    demands: list[_Demand] = []
    shortfalls: list[Shortfall] = []
    counts: list[DayCount] = []
    for rank, campaign in enumerate(schedule.campaigns):
        n = per_day(campaign, day, level)
        if not campaign.active_on(day):
            continue
        made = _demands(schedule, campaign, rank, n, state, tz, durations, offsets[campaign.id])
        demands.extend(made)
        counts.append(DayCount(day, campaign.id, n, 0))

    demands.sort(key=lambda d: (-d.campaign.priority.rank, not d.fixed, d.rank, d.number))
    airings: list[Airing] = []
    for d in demands:
        result = _place(state, d, schedule)
        airing_id = f"{day:%Y%m%d}-{d.campaign.id}-{d.number + 1:02d}"
        wanted_dt = _local(d.wanted, tz) if d.fixed else None
        if isinstance(result, str):
            shortfalls.append(Shortfall(day, d.campaign.id, airing_id, d.clip, result, wanted_dt))
            continue
        window, start = result
        end = start + d.duration
        window.used += d.duration
        state.book(_Busy(start, end, d.campaign.id, d.clip))
        if d.fixed:
            placement = Placement.SLOT if start == d.wanted else Placement.MOVED
        else:
            placement = Placement.SPREAD
        airings.append(
            Airing(
                start=_local(start, tz),
                end=_local(end, tz),
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


def _day_state(schedule: Schedule, day: date, tz: ZoneInfo, not_before: int = 0) -> _Day:
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
        windows.append(_Window(name, start, end, cap))
    state = _Day(day, windows)
    for bo in schedule.blackouts:
        if bo.active_on(day):
            state.book(_Busy(_instant(day, bo.start, tz), _instant(day, bo.end, tz)))
    return state


def _local(ms: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / MS, tz)


def _demands(
    schedule: Schedule,
    campaign: Campaign,
    rank: int,
    n: int,
    state: _Day,
    tz: ZoneInfo,
    durations: Mapping[str, int],
    offset: int,
) -> list[_Demand]:
    playlist = schedule.campaign_clips(campaign)
    seed = f"{schedule.station.id}/{campaign.id}"

    def clip_for(number: int) -> tuple[str, int]:
        clip = playlist.clips[clip_index(playlist, offset + number, seed)].file
        if clip not in durations:
            raise PlanningError(f"no duration known for the clip {clip!r}")
        return clip, durations[clip]

    allowed = [w for w in state.windows if campaign.sessions is None or w.name in campaign.sessions]
    out: list[_Demand] = []
    if campaign.at is not None:
        for number, t in enumerate(sorted(campaign.at)):
            wanted = _instant(state.day, t, tz)
            inside = next((w.name for w in allowed if w.start <= wanted < w.end), None)
            clip, duration = clip_for(number)
            out.append(_Demand(campaign, rank, number, clip, duration, wanted, inside, True))
        return out
    if not allowed:
        for number in range(n):
            clip, duration = clip_for(number)
            out.append(_Demand(campaign, rank, number, clip, duration, 0, None, False))
        return out
    share, extra = divmod(n, len(allowed))
    targets: list[tuple[int, str]] = []
    for i, w in enumerate(allowed):
        m = share + (1 if i < extra else 0)
        targets.extend((t, w.name) for t in _spread(w, m, state.all()))
    targets.sort()
    for number, (wanted, session) in enumerate(targets):
        clip, duration = clip_for(number)
        out.append(_Demand(campaign, rank, number, clip, duration, wanted, session, False))
    return out


def _spread(window: _Window, m: int, busy: list[_Busy]) -> list[int]:
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


def _place(state: _Day, d: _Demand, schedule: Schedule) -> tuple[_Window, int] | str:
    """Where the demand airs, or why it cannot."""
    allowed = [
        w for w in state.windows if d.campaign.sessions is None or w.name in d.campaign.sessions
    ]
    if not allowed:
        return "no session of this campaign that day"
    if d.session is not None:
        home = next(w for w in allowed if w.name == d.session)
        candidates = [(home, d.wanted)] + [(w, w.start) for w in allowed if w.start > home.start]
    else:
        candidates = [(w, w.start) for w in allowed if w.start > d.wanted]
        if not candidates:
            return f"{format_time(_clock(d.wanted, schedule))} is after the last session of the day"
    reasons = []
    for window, wanted in candidates:
        found = _find_start(state, window, wanted, d)
        if isinstance(found, int):
            return window, found
        reasons.append(f"{window.name}: {found}")
    return "no room: " + "; ".join(reasons)


def _clock(ms: int, schedule: Schedule) -> time:
    return _local(ms, schedule.station.tz).time()


def _find_start(state: _Day, w: _Window, wanted: int, d: _Demand) -> int | str:
    """The free start nearest ``wanted`` in the window, or why there is none.

    Looks at a neighbourhood of ``wanted`` that doubles until the nearest free start found in
    it is nearer than its edge, so a day of thousands of airings is placed in near-linear
    time."""
    dur = d.duration
    latest = w.end - dur
    if latest < w.start:
        return "the clip is longer than the session"
    if w.cap is not None and w.used + dur > w.cap:
        return (
            f"the spot airtime cap (max_spots {format_span(timedelta(milliseconds=w.cap))}) is full"
        )
    gap = int(d.campaign.min_gap.total_seconds() * MS)
    floor = state.packed_from(w)
    if (d.campaign.id, d.clip, dur, gap) in w.no_room or floor > latest:
        return _no_room(d, gap)
    wanted_in = min(max(wanted, floor), latest)
    radius = dur + gap + 60 * MS
    while True:
        low, high = max(floor, wanted_in - radius), min(latest, wanted_in + radius)
        best = _nearest_free(state, low, high, wanted, dur, gap, d)
        # anything not looked at yet is farther from ``wanted`` than this
        bound = min(
            wanted - low if low > floor else 1 << 62,
            high - wanted if high < latest else 1 << 62,
        )
        if best is not None and abs(best - wanted) <= bound:
            return best
        if low == floor and high == latest:
            w.no_room.add((d.campaign.id, d.clip, dur, gap))
            return _no_room(d, gap)
        radius *= 4


def _no_room(d: _Demand, gap: int) -> str:
    why = "no free time left (blackouts and other airings"
    return why + (f", min_gap {format_span(d.campaign.min_gap)})" if gap else ")")


def _nearest_free(
    state: _Day, low: int, high: int, wanted: int, dur: int, gap: int, d: _Demand
) -> int | None:
    """The start in [low, high] nearest ``wanted`` that overlaps nothing booked."""
    forbidden = []
    for b in state.near(low - dur - gap, high + dur + gap):
        related = b.campaign == d.campaign.id or (b.clip is not None and b.clip == d.clip)
        g = gap if related else 0
        lo, hi = b.start - dur - g, b.end + g
        if hi > low and lo < high:
            forbidden.append((lo, hi))
    forbidden.sort()
    best: int | None = None
    cur = low
    for lo, hi in [*forbidden, (high + 1, high + 1)]:
        if lo >= cur:
            r0, r1 = cur, min(lo, high)
            if r0 <= r1:
                s = min(max(wanted, r0), r1)
                rounded = -(-s // MS) * MS
                if rounded <= r1:
                    s = rounded
                if best is None or abs(s - wanted) < abs(best - wanted):
                    best = s
        cur = max(cur, hi)
        if cur > high:
            break
    return best
