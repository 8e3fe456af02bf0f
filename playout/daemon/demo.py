"""Demo mode: the sample's campaigns moved to "now", so a newcomer hears airings at once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from playout.schedule import Schedule, Session

DEMO_SESSION = "demo"


def shift_to_now(
    schedule: Schedule, now: datetime, length: timedelta = timedelta(minutes=2)
) -> Schedule:
    """One 2-minute session starting 15 s from now; every campaign active today, 3 airings each.

    Blackouts and fixed times are dropped: the point is to hear the station within a minute.
    """
    local = now.astimezone(schedule.station.tz)
    start = (local + timedelta(seconds=15)).replace(microsecond=0)
    end = start + length
    end_of_day = end.time() if end.date() == start.date() else time(23, 59, 59)
    session = Session(start=start.time(), end=end_of_day)
    per_campaign = 3
    campaigns = tuple(
        c.model_copy(
            update={
                "from_": local.date(),
                "until": None,
                "days": frozenset(range(7)),
                "sessions": [DEMO_SESSION],
                "min_gap": timedelta(seconds=10),
                "per_day": per_campaign,
                "frequency": None,
                "ramp": None,
                "at": None,
                "levels": {},
            }
        )
        for c in schedule.campaigns
    )
    return Schedule(
        station=schedule.station,
        sessions={DEMO_SESSION: session},
        blackouts=(),
        campaigns=campaigns,
        playlists=schedule.playlists,
        origins=schedule.origins,
    )
