"""The daemon in simulated time: its real objects (planner, horizon, engine, commands, as-run
log on SQLite, time watch) on a clock the test moves, with timers that fire when the test says
time has come, and the fake player (which plays in the same clock's time).

One loop stands in for the daemon's threads: each step moves the clock (at most ``slice_s``,
as the time-watch thread looks four times a second), lets the time watch look, fires the timers
that are due, then airs what the queue holds, as the airer thread would. A wall-clock step moves
the wall clock alone; a freeze moves both clocks with nobody looking. A day of a station runs in
about a second.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from playout.clock import FixedClock
from playout.daemon.service import Daemon, Loader
from playout.daemon.timewatch import TimeWatch
from playout.daemon.timings import Timings
from playout.planning import Airing
from playout.player.fake import FakePlayer
from playout.schedule import Schedule
from playout.store import AiringRow, DayPlanRow, open_database


class SimClock(FixedClock):
    """The wall clock and the monotonic clock of a simulated machine."""

    def __init__(self, instant: datetime) -> None:
        super().__init__(instant)
        self.mono = 0.0
        self.watch: Callable[[], object] = lambda: None  # the time watch, looking while we wait

    def advance(self, delta: timedelta) -> None:
        super().advance(delta)
        self.mono += delta.total_seconds()

    def wait(self, seconds: float, event: threading.Event | None = None) -> bool:
        """Time passes for a waiting thread (the engine before a start, the player while it
        plays); the time-watch thread looks meanwhile, as it does four times a second."""
        if event is not None and event.is_set():
            return True
        self.advance(timedelta(seconds=max(seconds, 0.0)))
        self.watch()
        return event is not None and event.is_set()

    def step(self, delta: timedelta) -> None:
        """The wall clock is set (NTP, an operator): the monotonic clock does not move."""
        FixedClock.advance(self, delta)


class SimTimers:
    """The :class:`~playout.daemon.timers.Timers` of a simulation: nothing fires by itself."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._jobs: dict[str, tuple[datetime, float | None, Callable[[], None]]] = {}
        self._order = itertools.count()
        self.wakes = 0
        self.running = False

    def at(self, key: str, when: datetime, action: Callable[[], None]) -> None:
        self._jobs[key] = (when, None, action)

    def every(self, key: str, seconds: float, action: Callable[[], None]) -> None:
        self._jobs[key] = (self.clock.now() + timedelta(seconds=seconds), seconds, action)

    def cancel(self, key: str) -> None:
        self._jobs.pop(key, None)

    def wake(self) -> None:
        self.wakes += 1

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def next_time(self) -> datetime | None:
        return min((when for when, _, _ in self._jobs.values()), default=None)

    def fire_due(self) -> int:
        """Run every job whose time has come, earliest first; a periodic job runs once however
        long the gap (APScheduler's coalesce)."""
        now = self.clock.now()
        due = [(when, next(self._order), key) for key, (when, _, _) in self._jobs.items()]
        heap = [d for d in due if d[0] <= now]
        heapq.heapify(heap)
        fired = 0
        while heap:
            _, _, key = heapq.heappop(heap)
            job = self._jobs.get(key)
            if job is None or job[0] > now:
                continue  # cancelled or booked again for later by an earlier job
            _, period, action = job
            if period is None:
                del self._jobs[key]
            else:
                self._jobs[key] = (now + timedelta(seconds=period), period, action)
            action()
            fired += 1
        return fired


@dataclass
class SimStation:
    daemon: Daemon
    clock: SimClock
    timers: SimTimers
    slice_s: float = 1.0

    def run_until(self, instant: datetime) -> None:
        """Time passes to ``instant``, the daemon awake."""
        while self.clock.now() < instant:
            now = self.clock.now()
            step = min(instant, now + timedelta(seconds=self.slice_s))
            upcoming = self.timers.next_time()
            if upcoming is not None and now < upcoming < step:
                step = upcoming
            self.clock.advance(step - now)
            self.daemon.horizon.check_time()
            self.timers.fire_due()
            while self.daemon.air_next(timeout=0):
                self.daemon.horizon.check_time()
                self.timers.fire_due()

    def step_clock(self, delta: timedelta) -> None:
        self.clock.step(delta)

    def freeze(self, seconds: float) -> None:
        """The process is stopped (suspended, starved): time passes and nobody looks."""
        self.clock.advance(timedelta(seconds=seconds))

    def written(self) -> None:
        """Wait (real time) until the as-run writer thread has written every row."""
        assert self.daemon.asrun is not None
        deadline = time.monotonic() + 10
        while self.daemon.asrun.backlog()["rows_waiting"]:
            assert time.monotonic() < deadline, self.daemon.asrun.backlog()
            time.sleep(0.002)

    def airings(self) -> list[AiringRow]:
        """The as-run log, once the writer has written everything."""
        self.written()
        with self.daemon.db.session() as s:
            return list(s.scalars(select(AiringRow).order_by(AiringRow.planned_start)))

    def plans(self, day: date) -> list[DayPlanRow]:
        self.written()
        with self.daemon.db.session() as s:
            return list(
                s.scalars(
                    select(DayPlanRow).where(DayPlanRow.day == day).order_by(DayPlanRow.version)
                )
            )


@contextmanager
def sim_station(
    folder: Path,
    schedule: Schedule,
    durations: dict[str, int],
    start: datetime,
    *,
    loader: Loader | None = None,
    **options: Any,
) -> Iterator[SimStation]:
    """A daemon prepared at ``start`` (recovery, the first plans), ready to be run."""
    clock = SimClock(start)
    timers = SimTimers(clock)
    db = open_database(folder / "playout.db")
    daemon = Daemon(
        schedule=schedule,
        durations=durations,
        library=folder / "audio",
        db=db,
        player=FakePlayer(clock),
        clock=clock,
        loader=loader,
        timewatch=TimeWatch(wall=lambda: clock.now().timestamp(), monotonic=lambda: clock.mono),
        timings=Timings(heartbeat_s=60.0),
        timers=timers,
        **options,
    )
    daemon.prepare()
    clock.watch = daemon.horizon.check_time
    timers.start()
    try:
        yield SimStation(daemon, clock, timers)
    finally:
        assert daemon.asrun is not None
        daemon.stopping.set()
        daemon.asrun.stop(5.0)
        daemon.spill.close()
        if daemon.guard is not None:
            daemon.guard.close()
        db.close()


def started(rows: list[AiringRow]) -> list[tuple[str, str]]:
    """(airing id, status) of each row, in planned order."""
    return [(r.airing_id, r.status) for r in rows]


def planned(airings: list[Airing]) -> list[str]:
    return [a.airing_id for a in airings]
