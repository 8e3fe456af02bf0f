"""Requested and placed airings per day over long periods, for the capacity warnings.

Planning a year day by day is slow when a campaign has thousands of ``at`` times, and most
days are alike; this plans each distinct kind of day once (see :func:`day_counts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playout.i18n import Msg
from playout.planning.day import Busy, DayState, place
from playout.planning.frequency import NORMAL_LEVEL, per_day, requested_before
from playout.planning.model import DayCount
from playout.planning.planner import day_state, make_demands
from playout.schedule.model import Campaign, Rotation, Schedule


def day_counts(
    schedule: Schedule,
    first: date,
    last: date,
    *,
    durations: Mapping[str, int],
    level: int = NORMAL_LEVEL,
) -> tuple[list[DayCount], dict[tuple[date, str], Msg]]:
    """Requested and placed airings per campaign and day, and why some could not be placed:
    what :func:`plan` gives, computed once per distinct kind of day.

    A day's placement depends only on the sessions, blackouts and campaigns active that day,
    its UTC offsets (daylight saving), the campaigns' counts and the lengths of the clips they
    rotate through; days that agree on all of these are planned once. So a year of checks costs a
    few days of planning, whatever the length of the ``at`` lists."""
    tz = schedule.station.tz
    offsets = {c.id: requested_before(c, first) for c in schedule.campaigns}
    memo: dict[tuple[object, ...], _Prefix] = {}
    counts: list[DayCount] = []
    reasons: dict[tuple[date, str], Msg] = {}
    day = first
    while day <= last:
        made, why = _count_day(schedule, day, tz, durations, level, offsets, memo)
        counts.extend(made)
        for cid, reason in why.items():
            reasons[(day, cid)] = reason
        for campaign in schedule.campaigns:
            offsets[campaign.id] += per_day(campaign, day, NORMAL_LEVEL)
        day += timedelta(days=1)
    return counts, reasons


@dataclass
class _Prefix:
    """The day after placing a run of campaigns (in placement order): its bookings, and what
    each of those campaigns got."""

    state: DayState
    placed: dict[str, int]
    why: dict[str, Msg]


def _count_day(
    schedule: Schedule,
    day: date,
    tz: ZoneInfo,
    durations: Mapping[str, int],
    level: int,
    offsets: Mapping[str, int],
    memo: dict[tuple[object, ...], _Prefix],
) -> tuple[list[DayCount], dict[str, Msg]]:
    """Like the planner's day, counting only, and reusing every prefix of campaigns already
    placed on a day of the same kind: campaigns are placed one after the other (priority,
    fixed times first, order in the file), and what a campaign gets depends only on the day's
    frame and on the campaigns placed before it."""
    key: tuple[object, ...] = _frame_key(schedule, day, tz)
    active = [(r, c) for r, c in enumerate(schedule.campaigns) if c.active_on(day)]
    active.sort(key=lambda rc: (-rc[1].priority.rank, rc[1].at is None, rc[0]))
    base: DayState | None = None
    prefix = _Prefix(DayState(day, []), {}, {})
    fresh = False  # True once ``prefix.state`` is this day's own copy
    for rank, campaign in active:
        n = per_day(campaign, day, level)
        key = (*key, campaign.id, n, _phase(schedule, campaign, durations, offsets))
        known = memo.get(key)
        if known is not None:
            prefix, fresh = known, False
            continue
        if base is None:
            base = day_state(schedule, day, tz)
        if not fresh:
            prefix = _copy(prefix) if prefix.state.windows else _Prefix(_copy_day(base), {}, {})
            fresh = True
        demands = make_demands(
            schedule, campaign, rank, n, base, tz, durations, offsets[campaign.id]
        )
        placed = 0
        for d in demands:
            result = place(prefix.state, d, schedule)
            if isinstance(result, Msg):
                prefix.why.setdefault(campaign.id, result)
                continue
            window, start = result
            window.used += d.duration
            prefix.state.book(Busy(start, start + d.duration, campaign.id, d.clip))
            placed += 1
        prefix.placed[campaign.id] = placed
        memo[key] = _copy(prefix)
    made = [
        DayCount(day, c.id, per_day(c, day, level), prefix.placed.get(c.id, 0))
        for _, c in sorted(active, key=lambda rc: rc[0])
    ]
    return made, {c: w for c, w in prefix.why.items() if any(c == x.id for _, x in active)}


def _copy_day(state: DayState) -> DayState:
    return DayState(
        state.day,
        [replace(w, no_room=set(w.no_room)) for w in state.windows],
        list(state.busy),
        list(state.starts),
        state.longest,
        list(state.long),
    )


def _copy(prefix: _Prefix) -> _Prefix:
    return _Prefix(_copy_day(prefix.state), dict(prefix.placed), dict(prefix.why))


def _frame_key(schedule: Schedule, day: date, tz: ZoneInfo) -> tuple[object, ...]:
    """What frames a day: sessions and blackouts active, and its UTC offsets."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day, time(23, 59, 59), tzinfo=tz)
    return (
        tuple(day.weekday() in s.days for s in schedule.sessions.values()),
        start.utcoffset(),
        end.utcoffset(),
        tuple(bo.active_on(day) for bo in schedule.blackouts),
    )


def _phase(
    schedule: Schedule, c: Campaign, durations: Mapping[str, int], offsets: Mapping[str, int]
) -> int:
    """Where the campaign's rotation stands, as far as clip lengths can tell."""
    playlist = schedule.campaign_clips(c)
    lengths = {durations.get(clip.file) for clip in playlist.clips}
    if len(lengths) <= 1:
        return 0  # every clip lasts as long: the rotation cannot change the placement
    if playlist.rotation is Rotation.IN_ORDER:
        return offsets[c.id] % len(playlist.clips)
    if playlist.rotation is Rotation.WEIGHTED:
        return offsets[c.id] % sum(clip.weight for clip in playlist.clips)
    return offsets[c.id]  # a shuffle does not repeat: no sharing
