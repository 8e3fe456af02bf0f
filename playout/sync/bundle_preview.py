"""What a province's bundle waiting for the operator would change at this station, before
``playout campaign accept``: its campaigns, their days and sessions, how often they ask to air,
how many airings the station's sessions can really hold on the next days, and their clips.

Read from the staged bundle (``.province/staging/NAME/``) planned together with the station's
own files, exactly as accepting it would; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from playout.i18n import Text, msg
from playout.problems import PlayoutError
from playout.schedule.model import Campaign
from playout.schedule.values import format_date, format_time
from playout.store import Database
from playout.sync.bundle_state import STATE_DIR

DAYS_SHOWN = 7


@dataclass(frozen=True)
class CampaignPreview:
    id: str
    title: str
    first: date
    last: date | None
    sessions: list[str]  # empty: any session of the station
    how: Text  # how often it asks to air
    clips: list[tuple[str, str, int]]  # (file, title, milliseconds)
    days: list[tuple[date, int, int]]  # (day, placed, requested) from the first shown day


def how_often(c: Campaign) -> Text:
    if c.per_day is not None:
        return msg("{n} a day", n=c.per_day)
    if c.frequency:
        steps = ", ".join(f"{s.per_day} ({format_date(s.from_)})" for s in c.frequency)
        return msg("a day, from the dates given: {steps}", steps=steps)
    if c.ramp is not None:
        top = c.ramp.max if c.ramp.max is not None else "-"
        return msg(
            "{start} a day, {step} more every {every} days, at most {top}",
            start=c.ramp.start,
            step=c.ramp.step,
            every=c.ramp.every.days,
            top=top,
        )
    return msg("at {times}", times=", ".join(format_time(t) for t in sorted(c.at or [])))


def preview(root: Path, name: str, db: Database, today: date) -> list[CampaignPreview]:
    """The campaigns of the staged bundle ``name``, as they would air here from ``today``."""
    from playout.library.catalog import Catalog
    from playout.planning import plan
    from playout.station_folder import load_station
    from playout.sync.bundles import station_files

    staging = root / STATE_DIR / "staging" / name
    staged = sorted(p for p in staging.rglob("*") if p.suffix.lower() in (".yaml", ".yml"))
    if not staged:
        raise PlayoutError(
            msg("no bundle {name} is waiting for a decision here", name=name),
            msg("playout campaign list shows the bundles and their states"),
        )
    loaded = load_station(root, [*station_files(root, name), *staged], catalog=Catalog(db))
    schedule = loaded.schedule
    if schedule is None:
        raise PlayoutError(
            msg("the bundle does not fit this station; the current plan stays"),
            msg("correct the station's files (see above) and accept again at the next sync"),
            loaded.errors,
        )
    inside = str(staging.relative_to(root))
    ours = [
        c
        for c in schedule.campaigns
        if schedule.origins[f"campaign:{c.id}"].file.startswith(inside)
    ]
    out = []
    for c in ours:
        first = max(today, c.from_)
        last = first + timedelta(days=DAYS_SHOWN - 1)
        if c.until is not None:
            last = min(last, c.until)
        counts = (
            plan(schedule, first, last, durations=loaded.durations).counts if first <= last else []
        )
        playlist = schedule.campaign_clips(c)
        out.append(
            CampaignPreview(
                id=c.id,
                title=c.title,
                first=c.from_,
                last=c.until,
                sessions=list(c.sessions or []),
                how=how_often(c),
                clips=[(k.file, k.title, loaded.durations.get(k.file, 0)) for k in playlist.clips],
                days=[(n.day, n.placed, n.requested) for n in counts if n.campaign == c.id],
            )
        )
    return out
