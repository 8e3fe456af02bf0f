"""Coming back on air after a crash or a power cut, without losing or repeating airings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from playout import reasons
from playout.daemon.asrun import AsRunLog, Closed
from playout.daemon.ops import OpSink
from playout.planning import Airing, place_make_goods, plan
from playout.schedule import Schedule
from playout.store import DaemonRunRow, Status

LOOK_BACK = timedelta(days=7)
OFF_AIR = reasons.OFF_AIR.text()
STOPPED_DURING = reasons.STOPPED_DURING.text()
UNKNOWN = reasons.UNKNOWN.text()


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
    last_alive: float | None = None,
) -> Recovery:
    """Close airings a crash left open; log or make good what passed while off the air.

    Airings that passed while the station was off are made good later today, in free time of
    the campaign's sessions, when the campaign allows it (``make_good``, the default); the others
    are logged ``missed``. Without a previous run (the first start ever) nothing before now is
    counted. Airings due within ``late_grace`` are not touched: they air late.

    ``last_alive`` (unix time, from the spill file) is when the previous run was last known
    to be running even if it could not write its heartbeat to the database; an airing without
    a row from before then may have aired, so it is logged as unknown, never as missed.
    """
    alive_at = datetime.fromtimestamp(last_alive, UTC) if last_alive is not None else None
    result = Recovery(
        closed=asrun.close_playing(
            STOPPED_DURING, alive_at, previous.id if previous is not None else None
        )
    )
    if previous is None:
        return result
    tz = schedule.station.tz
    today = now.astimezone(tz).date()
    first = max(previous.last_seen.astimezone(tz).date(), today - LOOK_BACK)
    planned = plan(schedule, first, today, durations=durations, level=level).airings
    logged = asrun.logged_ids(first, today)
    slots = asrun.logged_slots(first, today)  # 'at' times logged under an older id
    cutoff = now - late_grace
    passed = [
        a for a in planned if a.start < cutoff and a.airing_id not in logged and a.slot not in slots
    ]
    alive = previous.last_seen.timestamp()
    if last_alive is not None and previous.stopped_at is None:
        alive = max(alive, last_alive)
    unknown = [a for a in passed if previous.last_seen.timestamp() < a.start.timestamp() <= alive]
    for a in unknown:
        asrun.record(a, Status.INTERRUPTED, UNKNOWN, at=now, run_id=run_id)
        result.missed.append(a)
    passed = [a for a in passed if a not in unknown]
    booked = [a for a in planned if a.day == today and a.start >= cutoff]
    settled = settle(asrun, schedule, passed, now, booked=booked, reason=OFF_AIR, run_id=run_id)
    result.make_goods = settled.make_goods
    result.missed.extend(settled.missed)
    return result


def settle(
    asrun: OpSink,
    schedule: Schedule,
    passed: Sequence[Airing],
    now: datetime,
    *,
    booked: Sequence[Airing],
    reason: str,
    run_id: int | None = None,
) -> Recovery:
    """Airings whose time passed without airing (off air, a clock step, a freeze): made good
    later today where the campaign allows it and there is room, spaced from the campaign's
    other airings (never a burst); the others are logged missed with ``reason``."""
    result = Recovery()
    today = now.astimezone(schedule.station.tz).date()
    make_good = {c.id for c in schedule.campaigns if c.make_good}
    candidates = [a for a in passed if a.day == today and a.campaign in make_good]
    todays = [a for a in booked if a.day == today]
    placed, unplaced = place_make_goods(schedule, today, todays, candidates, after=now)
    result.make_goods = placed
    wanted = {a.airing_id for a in candidates}
    for a in passed:
        if a.airing_id in wanted and a not in unplaced:
            continue
        why = reason
        if a in unplaced:
            why += "; " + reasons.NO_MAKE_GOOD.text()
        asrun.record(a, Status.MISSED, why, at=now, run_id=run_id)
        result.missed.append(a)
    return result
