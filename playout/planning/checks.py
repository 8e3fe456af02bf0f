"""Warnings about what a schedule asks for but cannot get (found by planning it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from playout.i18n import Text, msg
from playout.planning.daycounts import day_counts
from playout.problems import Location, Problem, warning
from playout.schedule.model import Schedule
from playout.schedule.types import format_date

HORIZON = timedelta(days=366)


def capacity_warnings(
    schedule: Schedule, durations: Mapping[str, int], level: int = 1
) -> list[Problem]:
    """One warning per run of days on which a campaign gets fewer airings than requested.

    Open-ended campaigns are checked for a year from their start.
    """
    if not schedule.campaigns:
        return []
    first = min(c.from_ for c in schedule.campaigns)
    last = max((c.until or c.from_ + HORIZON) for c in schedule.campaigns)
    last = min(last, first + HORIZON)
    counts, reasons = day_counts(schedule, first, last, durations=durations, level=level)
    problems: list[Problem] = []
    runs: dict[str, tuple[date, date, int, int, Text]] = {}

    def flush(campaign: str) -> None:
        start, end, requested, placed, reason = runs.pop(campaign)
        when = format_date(start) if start == end else f"{format_date(start)}-{format_date(end)}"
        where = schedule.origins.get(f"campaign:{campaign}", Location(""))
        problems.append(
            warning(
                where,
                msg(
                    "{when}: {requested} {campaign} airings a day requested, only {placed} fit in "
                    "the sessions ({why})",
                    when=when,
                    requested=requested,
                    campaign=campaign,
                    placed=placed,
                    why=reason,
                ),
                msg("add session time, lower per_day or min_gap, or raise the priority"),
            )
        )

    for count in sorted(counts, key=lambda c: (c.campaign, c.day)):
        key = count.campaign
        short = count.placed < count.requested
        run = runs.get(key)
        if run is not None and (
            not short
            or (run[2], run[3]) != (count.requested, count.placed)
            or run[1] + timedelta(days=1) != count.day
        ):
            flush(key)
            run = None
        if short:
            reason = reasons.get((count.day, count.campaign), "")
            if run is None:
                runs[key] = (count.day, count.day, count.requested, count.placed, reason)
            else:
                runs[key] = (run[0], count.day, run[2], run[3], run[4])
    for key in list(runs):
        flush(key)
    return problems
