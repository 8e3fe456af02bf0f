"""Rules that span several entries or files of a schedule (sessions, campaigns, playlists and
blackouts together), checked once every file has been read and merged."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from playout.i18n import Msg, msg
from playout.problems import Location, Problem, did_you_mean, error, warning
from playout.schedule.model import ID_PATTERN, Campaign, Schedule
from playout.schedule.types import WEEKDAY_NAMES, format_date, format_time


def _day_names(days: Iterable[int]) -> str:
    return ", ".join(WEEKDAY_NAMES[d] for d in sorted(days))


def session_missing(campaign: str, session: str) -> Msg:
    """A campaign naming a session the station does not have (a bundle's refusal names it)."""
    return msg(
        'campaign "{name}" names the session "{session}", which does not exist',
        name=campaign,
        session=session,
    )


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
                    msg('"{name}" is not a valid session name', name=name),
                    msg('use lower-case letters, digits, "-" and "_", e.g. "morning"'),
                )
            )
        if s.end <= s.start:
            problems.append(
                error(
                    where,
                    msg(
                        'the session "{name}" ends ({end}) before it starts ({start})',
                        name=name,
                        end=format_time(s.end),
                        start=format_time(s.start),
                    ),
                    msg("sessions cannot cross midnight; split it into two sessions"),
                )
            )
        if s.max_spots is not None and s.max_spots.total_seconds() <= 0:
            problems.append(
                error(where, msg('session "{name}": max_spots must be more than 0', name=name))
            )
    names = list(schedule.sessions)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            sa, sb = schedule.sessions[a], schedule.sessions[b]
            common = sa.days & sb.days
            if common and sa.start < sb.end and sb.start < sa.end:
                problems.append(
                    error(
                        at(f"session:{b}"),
                        msg(
                            'the sessions "{a}" ({a_times}) and "{b}" ({b_times}) overlap on '
                            "{days}",
                            a=a,
                            a_times=f"{format_time(sa.start)}-{format_time(sa.end)}",
                            b=b,
                            b_times=f"{format_time(sb.start)}-{format_time(sb.end)}",
                            days=_day_names(common),
                        ),
                        msg("change their times or their days so that they do not overlap"),
                    )
                )
    for i, bo in enumerate(schedule.blackouts):
        where = at(f"blackout:{i}")
        if bo.end <= bo.start:
            problems.append(
                error(
                    where,
                    msg(
                        'the blackout "{label}" ends ({end}) before it starts ({start})',
                        label=bo.label,
                        end=format_time(bo.end),
                        start=format_time(bo.start),
                    ),
                )
            )
        if bo.from_ and bo.until and bo.until < bo.from_:
            problems.append(
                error(where, msg("the blackout's 'until' date is before its 'from' date"))
            )
    for c in schedule.campaigns:
        problems.extend(_check_campaign(schedule, c, at))
    return problems


def _check_campaign(schedule: Schedule, c: Campaign, at: Any) -> list[Problem]:
    problems: list[Problem] = []
    key = f"campaign:{c.id}"
    where = at(key)
    name = c.id
    if c.until is not None and c.until < c.from_:
        problems.append(
            error(
                at(f"{key}:until"),
                msg(
                    'campaign "{name}" ends ({until}) before it starts ({start})',
                    name=name,
                    until=format_date(c.until),
                    start=format_date(c.from_),
                ),
            )
        )
    if (c.playlist is None) == (c.clip is None):
        problems.append(
            error(
                where,
                msg("campaign \"{name}\" needs exactly one of 'playlist' or 'clip'", name=name),
                msg("name a playlist from playlists/, or one audio file with 'clip'"),
            )
        )
    elif c.playlist is not None and c.playlist not in schedule.playlists:
        problems.append(
            error(
                at(f"{key}:playlist"),
                msg(
                    'campaign "{name}" uses the playlist "{playlist}", which does not exist',
                    name=name,
                    playlist=c.playlist,
                ),
                did_you_mean(c.playlist, schedule.playlists)
                or msg("create playlists/{playlist}.yaml", playlist=c.playlist),
            )
        )
    ways = [k for k in ("per_day", "frequency", "ramp", "at") if getattr(c, k) is not None]
    if len(ways) != 1:
        problems.append(
            error(
                where,
                msg(
                    'campaign "{name}" needs exactly one of per_day, frequency, ramp or at{has}',
                    name=name,
                    has=msg(" (it has {ways})", ways=", ".join(ways)) if ways else "",
                ),
                msg(
                    "per_day: a fixed count; frequency: counts that step by date; "
                    "ramp: a count that grows; at: fixed times"
                ),
            )
        )
    for s in c.sessions or []:
        if s not in schedule.sessions:
            problems.append(
                error(
                    at(f"{key}:sessions"),
                    session_missing(name, s),
                    did_you_mean(s, schedule.sessions),
                )
            )
    if c.frequency:
        dates = [step.from_ for step in c.frequency]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            problems.append(
                error(
                    at(f"{key}:frequency"),
                    msg(
                        'campaign "{name}": the frequency steps must be in date order, each on '
                        "its own date",
                        name=name,
                    ),
                )
            )
        elif dates[0] > c.from_:
            problems.append(
                warning(
                    at(f"{key}:frequency"),
                    msg(
                        'campaign "{name}" starts on {start} but its first frequency step is on '
                        "{first}: nothing airs before that",
                        name=name,
                        start=format_date(c.from_),
                        first=format_date(dates[0]),
                    ),
                )
            )
    if c.at is not None:
        if len(set(c.at)) != len(c.at):
            problems.append(
                error(
                    at(f"{key}:at"),
                    msg("campaign \"{name}\": the same time is listed twice in 'at'", name=name),
                )
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
            if len(outside) == 1:
                said = msg(
                    'campaign "{name}": {time} is outside its sessions; it will be moved to a '
                    "later session that day, or not aired",
                    name=name,
                    time=shown,
                )
            else:
                said = msg(
                    'campaign "{name}": {times}{more} are outside its sessions; they will be '
                    "moved to a later session that day, or not aired",
                    name=name,
                    times=shown,
                    more=msg(" and {n} more", n=len(outside) - 5) if len(outside) > 5 else "",
                )
            problems.append(warning(at(f"{key}:at"), said, msg("choose times inside a session")))
        if c.levels:
            problems.append(
                error(
                    at(f"{key}:levels"),
                    msg(
                        "campaign \"{name}\": 'levels' changes per_day, but this campaign uses "
                        "fixed 'at' times",
                        name=name,
                    ),
                    msg("use per_day, frequency or ramp with levels"),
                )
            )
    return problems
