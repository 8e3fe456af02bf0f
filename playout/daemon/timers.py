"""When the daemon's work happens: one narrow interface over APScheduler.

The daemon never asks APScheduler directly: it books "run this at that instant" (an airing's
cue, the end of a raised alert level), "run this every N seconds" (the heartbeat), cancels a
booking, and wakes the timers after the wall clock stepped. :class:`SchedulerTimers` does that
with APScheduler's background scheduler, which reads the wall clock; a simulated implementation
(``tests/sim_daemon.py``) does it on a clock the test moves, so clock steps, freezes, reloads,
level changes and day rollovers are decided in process, in milliseconds.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("playout.daemon")

Action = Callable[[], None]


class Timers(Protocol):
    def at(self, key: str, when: datetime, action: Action) -> None:
        """Run ``action`` at ``when`` (however late: the engine decides what a late airing
        becomes); a booking under the same key is replaced."""
        ...

    def every(self, key: str, seconds: float, action: Action) -> None:
        """Run ``action`` every ``seconds``; after a gap once, never in a burst."""
        ...

    def cancel(self, key: str) -> None:
        """Forget the booking ``key`` (nothing when there is none)."""
        ...

    def wake(self) -> None:
        """Look at the bookings again now (the wall clock stepped)."""
        ...

    @property
    def running(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class SchedulerTimers:
    """The timers of a running daemon: APScheduler's background scheduler, two worker threads."""

    def __init__(self, tz: tzinfo = UTC) -> None:
        # every booking is a timezone-aware instant: the zone is only APScheduler's default
        self.scheduler = BackgroundScheduler(
            timezone=tz,
            executors={"default": ThreadPoolExecutor(2)},
            # an airing's job always runs, however late: the engine decides what a late airing
            # becomes; periodic jobs run once after a gap, never in a burst
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self.scheduler.add_listener(_job_failed, EVENT_JOB_ERROR)

    def at(self, key: str, when: datetime, action: Action) -> None:
        self.scheduler.add_job(action, DateTrigger(run_date=when), id=key, replace_existing=True)

    def every(self, key: str, seconds: float, action: Action) -> None:
        self.scheduler.add_job(
            action, IntervalTrigger(seconds=seconds), id=key, replace_existing=True
        )

    def cancel(self, key: str) -> None:
        with contextlib.suppress(JobLookupError):  # it ran already, or was never booked
            self.scheduler.remove_job(key)

    def wake(self) -> None:
        self.scheduler.wakeup()

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)


def _job_failed(event: JobExecutionEvent) -> None:
    log.error("job %s failed: %r", event.job_id, event.exception)
