"""Coming back on air after a crash or a power cut, without losing or repeating airings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from playout.daemon.asrun import AsRunLog, Closed
from playout.planning import Airing, place_make_goods, plan
from playout.schedule import Schedule
from playout.store import DaemonRunRow, Status

LOOK_BACK = timedelta(days=7)
OFF_AIR = "station off air"
STOPPED_DURING = "the station stopped during the airing (power cut or crash)"


@dataclass
class Recovery:
    closed: list[Closed] = field(default_factory=list)
    missed: list[Airing] = field(default_factory=list)
    make_goods: list[Airing] = field(default_factory=list)


def recover(
    asrun: AsRunLog,
    schedule: Schedule,
    durations: Mapping[str, int],
    now: datetime,
    *,
    previous: DaemonRunRow | None,
    late_grace: timedelta,
    level: int = 1,
    run_id: int | None = None,
) -> Recovery:
    """Close airings a crash left open; log or make good what passed while off the air.

    Airings that passed while the station was off are made good later today, in free time of
    the campaign's sessions, when the campaign allows it (``make_good``, the default); the others
    are logged ``missed``. Without a previous run (the first start ever) nothing before now is
    counted. Airings due within ``late_grace`` are not touched: they air late.
    """
    result = Recovery(closed=asrun.close_playing(STOPPED_DURING))
    if previous is None:
        return result
    tz = schedule.station.tz
    today = now.astimezone(tz).date()
    first = max(previous.last_seen.astimezone(tz).date(), today - LOOK_BACK)
    planned = plan(schedule, first, today, durations=durations, level=level).airings
    logged = asrun.logged_ids(first, today)
    cutoff = now - late_grace
    make_good = {c.id for c in schedule.campaigns if c.make_good}
    passed = [a for a in planned if a.start < cutoff and a.airing_id not in logged]
    candidates = [a for a in passed if a.day == today and a.campaign in make_good]
    booked = [a for a in planned if a.day == today and a.start >= cutoff]
    placed, unplaced = place_make_goods(schedule, today, booked, candidates, after=now)
    result.make_goods = placed
    wanted = {a.airing_id for a in candidates}
    for a in passed:
        if a.airing_id in wanted and a not in unplaced:
            continue
        reason = OFF_AIR
        if a in unplaced:
            reason += "; no free time left today to make it good"
        asrun.record(a, Status.MISSED, reason, at=now, run_id=run_id)
        result.missed.append(a)
    return result
