"""Values operators write in schedules and on the command line: times, dates (dd/mm/yyyy),
durations, weekdays — parsed and formatted with the standard library only, so a command that
only needs a date does not import pydantic (``types.py`` builds the schema's types on these).

Each parser raises ``ValueError`` with a message meant for an operator; the schema turns it into
a ``file:line:column`` problem.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, time, timedelta
from typing import Any

from playout.i18n import msg

SCHEDULES_DIR = "schedules"  # a station folder's schedule files
PLAYLISTS_DIR = "playlists"  # ... and its playlists

_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_DMY_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ISO_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_DURATION_RE = re.compile(r"(\d+)\s*(ms|d|h|m|s)", re.IGNORECASE)
_DURATION_FULL_RE = re.compile(r"^\s*(?:\d+\s*(?:ms|[dhms])\s*)+$", re.IGNORECASE)

WEEKDAYS: dict[str, int] = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
    # Vietnamese: thứ hai .. thứ bảy, chủ nhật
    "t2": 0,
    "t3": 1,
    "t4": 2,
    "t5": 3,
    "t6": 4,
    "t7": 5,
    "cn": 6,
}
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    text = str(value)
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(
            msg('"{text}" is not a time of day; write it as HH:MM, e.g. "05:30"', text=text)
        )
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(
            msg('"{text}" is not a time of day; hours go 00-23 and minutes 00-59', text=text)
        )
    return time(hour, minute, second)


def format_time(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def parse_date(value: Any) -> date:
    """dd/mm/yyyy (Vietnamese usage) or ISO yyyy-mm-dd."""
    if isinstance(value, date):
        return value
    text = str(value)
    m = _DMY_RE.match(text)
    if m:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _ISO_RE.match(text)
        if not m:
            raise ValueError(
                msg('"{text}" is not a date; write it as dd/mm/yyyy, e.g. "05/08/2020"', text=text)
            )
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    if not 1 <= month <= 12:
        raise ValueError(
            msg('"{text}" is not a date: there is no month {month}', text=text, month=month)
        )
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ValueError(
            msg(
                '"{text}" is not a date: {month}/{year} has {last} days',
                text=text,
                month=f"{month:02d}",
                year=year,
                last=last,
            )
        )
    return date(year, month, day)


def format_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def parse_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    text = str(value)
    if not _DURATION_FULL_RE.match(text):
        if text.strip().isdigit():
            raise ValueError(
                msg('"{text}" needs a unit: write e.g. "{text}m" (minutes) or "{text}s"', text=text)
            )
        raise ValueError(
            msg('"{text}" is not a duration; write e.g. "30m", "1h30m", "45s" or "7d"', text=text)
        )
    units = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
    total_ms = 0
    for amount, unit in _DURATION_RE.findall(text):
        if len(amount) > 12:  # never build a huge integer from an operator's typo
            raise ValueError(
                msg(
                    '"{text}" is far too long; durations go up to {days}d', text=text, days=MAX_DAYS
                )
            )
        total_ms += int(amount) * units[unit.lower()]
    if total_ms > MAX_DAYS * 86_400_000:
        raise ValueError(
            msg(
                '"{text}" is too long; durations go up to {days}d (a year)',
                text=text,
                days=MAX_DAYS,
            )
        )
    return timedelta(milliseconds=total_ms)


MAX_DAYS = 366


def format_duration(value: timedelta | float) -> str:
    """m:ss below an hour, h:mm:ss above (as in the reports)."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_span(value: timedelta) -> str:
    """A duration as an operator writes it in a schedule: "1h30m", "45s"."""
    ms = round(value.total_seconds() * 1000)
    parts = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        amount, ms = divmod(ms, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


def parse_weekdays(value: Any) -> frozenset[int]:
    if isinstance(value, frozenset):
        return value
    items = value if isinstance(value, list) else [value]
    days: set[int] = set()
    for item in items:
        word = str(item).strip().lower()
        if word in ("daily", "all", "every day"):
            days.update(range(7))
        elif word in ("weekdays",):
            days.update(range(5))
        elif word in ("weekend",):
            days.update((5, 6))
        elif word in WEEKDAYS:
            days.add(WEEKDAYS[word])
        elif word[:3] in WEEKDAYS and word in _LONG_NAMES:
            days.add(WEEKDAYS[word[:3]])
        else:
            from playout.problems import did_you_mean

            hint = did_you_mean(word, [*WEEKDAY_NAMES, "weekdays", "weekend", "daily"])
            raise ValueError(
                msg(
                    '"{item}" is not a day of the week; use mon tue wed thu fri sat sun '
                    "(or t2..t7, cn){hint}",
                    item=item,
                    hint=msg("; {hint}", hint=hint) if hint else "",
                )
            )
    if not days:
        raise ValueError(msg("the list of days is empty; leave the key out to mean every day"))
    return frozenset(days)


_LONG_NAMES = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


ALL_DAYS: frozenset[int] = frozenset(range(7))
