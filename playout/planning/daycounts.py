"""Requested and placed airings per day over long periods, for the capacity warnings.

Planning a year day by day is slow when a campaign has thousands of ``at`` times, and most
days are alike; this plans each distinct kind of day once (see :func:`day_counts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playout.planning.frequency import NORMAL_LEVEL, per_day, requested_before
from playout.planning.model import DayCount, Shortfall
from playout.planning.planner import _plan_day
from playout.schedule.model import Rotation, Schedule


def day_counts(
    schedule: Schedule,
    first: date,
    last: date,
    *,
    durations: Mapping[str, int],
    level: int = NORMAL_LEVEL,
) -> tuple[list[DayCount], dict[tuple[date, str], str]]:
    """Requested and placed airings per campaign and day, and why some could not be placed:
    what :func:`plan` gives, computed once per distinct kind of day.

    A day's placement depends only on the sessions, blackouts and campaigns active that day,
    its UTC offsets (daylight saving), the campaigns' counts and the lengths of the clips they
    rotate through; days that agree on all of these are planned once. So a year of checks costs a
    few days of planning, whatever the length of the ``at`` lists."""
    tz = schedule.station.tz
    offsets = {c.id: requested_before(c, first) for c in schedule.campaigns}
    memo: dict[tuple[object, ...], tuple[list[DayCount], dict[str, str]]] = {}
    counts: list[DayCount] = []
    reasons: dict[tuple[date, str], str] = {}
    day = first
    while day <= last:
        key = _day_key(schedule, day, tz, durations, level, offsets)
        if key not in memo:
            _, shortfalls, made = _plan_day(schedule, day, tz, durations, level, offsets)
            memo[key] = (made, _first_reasons(shortfalls))
        made, why = memo[key]
        counts.extend(DayCount(day, c.campaign, c.requested, c.placed) for c in made)
        for cid, reason in why.items():
            reasons[(day, cid)] = reason
        for campaign in schedule.campaigns:
            offsets[campaign.id] += per_day(campaign, day, NORMAL_LEVEL)
        day += timedelta(days=1)
    return counts, reasons


def _first_reasons(shortfalls: list[Shortfall]) -> dict[str, str]:
    """Why each campaign lost its first airing that could not be placed."""
    why: dict[str, str] = {}
    for sf in shortfalls:
        why.setdefault(sf.campaign, sf.reason)
    return why


def _day_key(
    schedule: Schedule,
    day: date,
    tz: ZoneInfo,
    durations: Mapping[str, int],
    level: int,
    offsets: Mapping[str, int],
) -> tuple[object, ...]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day, time(23, 59, 59), tzinfo=tz)
    campaigns: list[tuple[int, int] | None] = []
    for c in schedule.campaigns:
        if not c.active_on(day):
            campaigns.append(None)
            continue
        playlist = schedule.campaign_clips(c)
        lengths = {durations.get(clip.file) for clip in playlist.clips}
        if len(lengths) <= 1:
            phase = 0  # every clip lasts as long: the rotation cannot change the placement
        elif playlist.rotation is Rotation.IN_ORDER:
            phase = offsets[c.id] % len(playlist.clips)
        elif playlist.rotation is Rotation.WEIGHTED:
            phase = offsets[c.id] % sum(clip.weight for clip in playlist.clips)
        else:
            phase = offsets[c.id]  # a shuffle does not repeat: no sharing
        campaigns.append((per_day(c, day, level), phase))
    return (
        tuple(day.weekday() in s.days for s in schedule.sessions.values()),
        start.utcoffset(),
        end.utcoffset(),
        tuple(bo.active_on(day) for bo in schedule.blackouts),
        tuple(campaigns),
    )
