"""A day being planned: its session windows, what is booked in it (kept sorted, so finding a
free instant near a wanted time looks only at the neighbourhood), and the search for the free
start nearest a wanted time. Used by the planner, the capacity counts and the make-goods."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playout.i18n import Msg, msg
from playout.schedule.model import Campaign, Schedule
from playout.schedule.types import format_span, format_time

MS = 1000


@dataclass
class Window:
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
class Busy:
    start: int
    end: int
    campaign: str | None = None
    clip: str | None = None


@dataclass
class Demand:
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
class DayState:
    """A day being planned: its session windows and what is booked, kept sorted by start so
    that finding a free instant near a wanted time looks only at the neighbourhood."""

    day: date
    windows: list[Window]
    busy: list[Busy] = field(default_factory=list)  # short spans, sorted by start
    starts: list[int] = field(default_factory=list)  # busy[i].start, for bisect
    longest: int = 0  # the longest short span
    long: list[Busy] = field(default_factory=list)  # long spans (blackouts): few, all checked

    def book(self, item: Busy) -> None:
        if item.end - item.start > LONG_SPAN:
            self.long.append(item)
            return
        i = bisect.bisect_right(self.starts, item.start)
        self.starts.insert(i, item.start)
        self.busy.insert(i, item)
        self.longest = max(self.longest, item.end - item.start)

    def all(self) -> list[Busy]:
        return sorted([*self.busy, *self.long], key=lambda b: b.start)

    def packed_from(self, w: Window) -> int:
        """The first instant of the window not booked solid from its start."""
        p = max(w.packed, w.start)
        while True:
            reach = max((b.end for b in self.near(p, p) if b.start <= p < b.end), default=None)
            if reach is None:
                break
            p = reach
        w.packed = p
        return p

    def near(self, low: int, high: int) -> list[Busy]:
        """Booked spans that may overlap [low, high]."""
        first = bisect.bisect_left(self.starts, low - self.longest)
        last = bisect.bisect_right(self.starts, high)
        found = self.busy[first:last]
        found.extend(b for b in self.long if b.end >= low and b.start <= high)
        return found


def local_time(ms: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / MS, tz)


def place(state: DayState, d: Demand, schedule: Schedule) -> tuple[Window, int] | Msg:
    """Where the demand airs, or why it cannot."""
    allowed = [
        w for w in state.windows if d.campaign.sessions is None or w.name in d.campaign.sessions
    ]
    if not allowed:
        return msg("no session of this campaign that day")
    if d.session is not None:
        home = next(w for w in allowed if w.name == d.session)
        candidates = [(home, d.wanted)] + [(w, w.start) for w in allowed if w.start > home.start]
    else:
        candidates = [(w, w.start) for w in allowed if w.start > d.wanted]
        if not candidates:
            return msg(
                "{time} is after the last session of the day",
                time=format_time(_clock(d.wanted, schedule)),
            )
    reasons: list[Msg] = []
    for window, wanted in candidates:
        found = find_start(state, window, wanted, d)
        if isinstance(found, int):
            return window, found
        reasons.append(msg("{session}: {why}", session=window.name, why=found))
    said = reasons[0]
    for more in reasons[1:]:
        said = msg("{first}; {then}", first=said, then=more)
    return msg("no room: {why}", why=said)


def _clock(ms: int, schedule: Schedule) -> time:
    return local_time(ms, schedule.station.tz).time()


def find_start(state: DayState, w: Window, wanted: int, d: Demand) -> int | Msg:
    """The free start nearest ``wanted`` in the window, or why there is none.

    Looks at a neighbourhood of ``wanted`` that doubles until the nearest free start found in
    it is nearer than its edge, so a day of thousands of airings is placed in near-linear
    time."""
    dur = d.duration
    latest = w.end - dur
    if latest < w.start:
        return msg("the clip is longer than the session")
    if w.cap is not None and w.used + dur > w.cap:
        return msg(
            "the spot airtime cap (max_spots {cap}) is full",
            cap=format_span(timedelta(milliseconds=w.cap)),
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


def _no_room(d: Demand, gap: int) -> Msg:
    if gap:
        return msg(
            "no free time left (blackouts and other airings, min_gap {gap})",
            gap=format_span(d.campaign.min_gap),
        )
    return msg("no free time left (blackouts and other airings)")


def _nearest_free(
    state: DayState, low: int, high: int, wanted: int, dur: int, gap: int, d: Demand
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
