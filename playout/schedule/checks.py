"""Rules that span several entries or files of a schedule (sessions, campaigns, playlists and
blackouts together), checked once every file has been read and merged."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from playout.problems import Location, Problem, did_you_mean, error, warning
from playout.schedule.model import ID_PATTERN, Campaign, Schedule
from playout.schedule.types import WEEKDAY_NAMES, format_date, format_time


def _day_names(days: Iterable[int]) -> str:
    return ", ".join(WEEKDAY_NAMES[d] for d in sorted(days))


def check_schedule(schedule: Schedule) -> list[Problem]:
    """Rules that span several entries or files. Returns problems in file order."""
    problems: list[Problem] = []
    o = schedule.origins

    def at(key: str) -> Location:
        return o.get(key, Location(""))

    for name, s in schedule.sessions.items():
        where = at(f"session:{name}")
        if not re.match(ID_PATTERN, name):
            problems.append(
                error(
                    where,
                    f'"{name}" is not a valid session name',
                    'use lower-case letters, digits, "-" and "_", e.g. "morning"',
                )
            )
        if s.end <= s.start:
            problems.append(
                error(
                    where,
                    f'the session "{name}" ends ({format_time(s.end)}) before it starts '
                    f"({format_time(s.start)})",
                    "sessions cannot cross midnight; split it into two sessions",
                )
            )
        if s.max_spots is not None and s.max_spots.total_seconds() <= 0:
            problems.append(error(where, f'session "{name}": max_spots must be more than 0'))
    names = list(schedule.sessions)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            sa, sb = schedule.sessions[a], schedule.sessions[b]
            common = sa.days & sb.days
            if common and sa.start < sb.end and sb.start < sa.end:
                problems.append(
                    error(
                        at(f"session:{b}"),
                        f'the sessions "{a}" ({format_time(sa.start)}-{format_time(sa.end)}) and '
                        f'"{b}" ({format_time(sb.start)}-{format_time(sb.end)}) overlap on '
                        f"{_day_names(common)}",
                        "change their times or their days so that they do not overlap",
                    )
                )
    for i, bo in enumerate(schedule.blackouts):
        where = at(f"blackout:{i}")
        if bo.end <= bo.start:
            problems.append(
                error(
                    where,
                    f"the blackout {bo.label!r} ends ({format_time(bo.end)}) before it starts "
                    f"({format_time(bo.start)})",
                )
            )
        if bo.from_ and bo.until and bo.until < bo.from_:
            problems.append(error(where, "the blackout's 'until' date is before its 'from' date"))
    for c in schedule.campaigns:
        problems.extend(_check_campaign(schedule, c, at))
    return problems


def _check_campaign(schedule: Schedule, c: Campaign, at: Any) -> list[Problem]:
    problems: list[Problem] = []
    key = f"campaign:{c.id}"
    where = at(key)
    name = f'campaign "{c.id}"'
    if c.until is not None and c.until < c.from_:
        problems.append(
            error(
                at(f"{key}:until"),
                f"{name} ends ({format_date(c.until)}) before it starts ({format_date(c.from_)})",
            )
        )
    if (c.playlist is None) == (c.clip is None):
        problems.append(
            error(
                where,
                f"{name} needs exactly one of 'playlist' or 'clip'",
                "name a playlist from playlists/, or one audio file with 'clip'",
            )
        )
    elif c.playlist is not None and c.playlist not in schedule.playlists:
        problems.append(
            error(
                at(f"{key}:playlist"),
                f'{name} uses the playlist "{c.playlist}", which does not exist',
                did_you_mean(c.playlist, schedule.playlists)
                or f"create playlists/{c.playlist}.yaml",
            )
        )
    ways = [k for k in ("per_day", "frequency", "ramp", "at") if getattr(c, k) is not None]
    if len(ways) != 1:
        problems.append(
            error(
                where,
                f"{name} needs exactly one of per_day, frequency, ramp or at"
                + (f" (it has {', '.join(ways)})" if ways else ""),
                "per_day: a fixed count; frequency: counts that step by date; "
                "ramp: a count that grows; at: fixed times",
            )
        )
    for s in c.sessions or []:
        if s not in schedule.sessions:
            problems.append(
                error(
                    at(f"{key}:sessions"),
                    f'{name} names the session "{s}", which does not exist',
                    did_you_mean(s, schedule.sessions),
                )
            )
    if c.frequency:
        dates = [step.from_ for step in c.frequency]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            problems.append(
                error(
                    at(f"{key}:frequency"),
                    f"{name}: the frequency steps must be in date order, each on its own date",
                )
            )
        elif dates[0] > c.from_:
            problems.append(
                warning(
                    at(f"{key}:frequency"),
                    f"{name} starts on {format_date(c.from_)} but its first frequency step is "
                    f"on {format_date(dates[0])}: nothing airs before that",
                )
            )
    if c.at is not None:
        if len(set(c.at)) != len(c.at):
            problems.append(
                error(at(f"{key}:at"), f"{name}: the same time is listed twice in 'at'")
            )
        allowed = c.sessions or list(schedule.sessions)
        outside = [
            t
            for t in sorted(c.at)
            if not any(
                s in schedule.sessions
                and schedule.sessions[s].start <= t < schedule.sessions[s].end
                for s in allowed
            )
        ]
        if outside:  # one warning for the campaign, however long its list
            shown = ", ".join(format_time(t) for t in outside[:5])
            more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
            problems.append(
                warning(
                    at(f"{key}:at"),
                    f"{name}: {shown}{more} "
                    f"{'is' if len(outside) == 1 else 'are'} outside its sessions; "
                    f"{'it' if len(outside) == 1 else 'they'} will be moved to a later "
                    "session that day, or not aired",
                    "choose times inside a session",
                )
            )
        if c.levels:
            problems.append(
                error(
                    at(f"{key}:levels"),
                    f"{name}: 'levels' changes per_day, but this campaign uses fixed 'at' times",
                    "use per_day, frequency or ramp with levels",
                )
            )
    return problems
