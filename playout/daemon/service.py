"""The running daemon: APScheduler triggers, the airer thread, recovery, clean shutdown.

Time flows like this: APScheduler fires a job ``cue_ahead`` before each airing and puts it on
the airer's queue (ordered by start time); the airer thread takes one item at a time and hands
it to :class:`Engine`, which cues, waits for the exact instant and plays. So one airing is on
the output at a time, an airing due while another plays starts right after it (its lateness
logged), and one later than ``late_grace`` is logged missed. Jobs live in memory only and are
rebuilt from the plan at every start; the plan of today and tomorrow is scheduled, and each
evening the day after tomorrow is added.
"""

from __future__ import annotations

import heapq
import logging
import os
import signal
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from playout.clock import Clock
from playout.daemon.asrun import AsRunLog
from playout.daemon.engine import Engine, Item
from playout.daemon.lock import StationLock
from playout.daemon.recovery import recover
from playout.planning import Airing, plan
from playout.player import Player
from playout.schedule import Schedule
from playout.store import Database, Status, Trigger

log = logging.getLogger("playout.daemon")

HEARTBEAT_S = 5
STOP_TIMEOUT_S = 3.0


class AirQueue:
    """Items waiting for the output, earliest first."""

    def __init__(self) -> None:
        self._heap: list[Item] = []
        self._cond = threading.Condition()

    def put(self, item: Item) -> None:
        with self._cond:
            heapq.heappush(self._heap, item)
            self._cond.notify()

    def get(self, timeout: float) -> Item | None:
        with self._cond:
            if not self._heap:
                self._cond.wait(timeout)
            return heapq.heappop(self._heap) if self._heap else None

    def __len__(self) -> int:
        with self._cond:
            return len(self._heap)


@dataclass
class Daemon:
    schedule: Schedule
    durations: Mapping[str, int]
    library: Path
    db: Database
    player: Player
    clock: Clock
    checksums: Mapping[str, str] = field(default_factory=dict)
    level: int = 1
    exit_after: timedelta | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.tz = self.schedule.station.tz
        self.audio = self.schedule.station.audio
        self.asrun = AsRunLog(self.db, self.schedule.station.id)
        self.queue = AirQueue()
        self.scheduled: set[date] = set()
        self._lock = StationLock(self.db.path.with_name(self.db.path.name + ".lock"))
        self.engine: Engine | None = None

    # ------------------------------------------------------------------ lifecycle

    def run(self) -> None:
        """Run until SIGTERM/SIGINT (or ``exit_after``)."""
        self._lock.acquire()
        try:
            self._run()
        finally:
            self._lock.release()

    def _run(self) -> None:
        now = self.clock.now()
        previous = self.asrun.previous_run(before_id=2**62)
        run_id = self.asrun.begin_run(os.getpid(), socket.gethostname(), now, self.player.output)
        self.engine = Engine(
            log=self.asrun,
            player=self.player,
            clock=self.clock,
            library=self.library,
            audio=self.audio,
            run_id=run_id,
            fallback_clip=self.schedule.station.fallback_clip,
            durations=self.durations,
            checksums=self.checksums.get,
            shutdown=self.stopping,
        )
        recovery = recover(
            self.asrun,
            self.schedule,
            self.durations,
            now,
            previous=previous,
            late_grace=self.audio.late_grace,
            level=self.level,
            run_id=run_id,
        )
        for closed in recovery.closed:
            log.warning(
                "closed %s as interrupted (%d ms played)", closed.airing_id, closed.played_ms
            )
        for airing in recovery.missed:
            log.warning("missed %s: station off air", airing.airing_id)
        scheduler = BackgroundScheduler(
            timezone=self.tz,
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={
                "misfire_grace_time": int(self.audio.late_grace.total_seconds()),
                "coalesce": False,
                "max_instances": 1,
            },
        )
        scheduler.add_listener(self._job_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        self.scheduler = scheduler
        today = now.astimezone(self.tz).date()
        for day in (today, today + timedelta(days=1)):
            self.schedule_day(day, reason="start")
        for airing in recovery.make_goods:
            log.info("make-good %s at %s", airing.airing_id, airing.start.strftime("%H:%M:%S"))
            self._book(airing, Trigger.MAKE_GOOD)
        scheduler.add_job(
            self._heartbeat, IntervalTrigger(seconds=HEARTBEAT_S), args=[run_id], id="heartbeat"
        )
        scheduler.add_job(self._plan_ahead, CronTrigger(hour=23, minute=0), id="plan-ahead")
        airer = threading.Thread(target=self._airer, name="airer", daemon=True)
        self._install_signals()
        scheduler.start()
        airer.start()
        log.info(
            "on air: station %s, audio output %s, %d airing(s) waiting; level %d",
            self.schedule.station.id,
            self.player.output,
            len(scheduler.get_jobs()) - 2 + len(self.queue),
            self.level,
        )
        limit = self.exit_after.total_seconds() if self.exit_after else None
        self.stopping.wait(limit)
        self.stop()
        airer.join(STOP_TIMEOUT_S)
        scheduler.shutdown(wait=False)
        self.asrun.end_run(run_id, self.clock.now())
        log.info("stopped")

    def stop(self) -> None:
        """Stop: the airing on air is interrupted (and logged so); nothing new starts."""
        self.stopping.set()
        self.player.stop()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda _s, _f: self.stop())

    # ------------------------------------------------------------------ scheduling

    def schedule_day(self, day: date, reason: str) -> None:
        result = plan(self.schedule, day, day, durations=self.durations, level=self.level)
        requested = {c.campaign: c.requested for c in result.counts}
        version = self.asrun.store_plan(
            day, result.airings, self.level, reason, self.clock.now(), requested
        )
        if version is not None:
            log.info(
                "plan for %s stored (version %d, %s)", day.strftime("%d/%m/%Y"), version, reason
            )
        logged = self.asrun.logged_ids(day, day)
        for airing in result.airings:
            if airing.airing_id not in logged:
                self._book(airing, Trigger.SCHEDULE)
        self.scheduled.add(day)

    def _book(self, airing: Airing, trigger: Trigger) -> None:
        now = self.clock.now()
        if airing.start < now - self.audio.late_grace:
            return  # recovery has dealt with it
        item = Item(airing.start, -airing.priority.rank, airing, trigger)
        fire = airing.start - self.audio.cue_ahead
        if fire <= now:
            self.queue.put(item)
            return
        self.scheduler.add_job(
            self.queue.put,
            DateTrigger(run_date=fire),
            args=[item],
            id=f"{trigger}:{airing.airing_id}",
            replace_existing=True,
        )

    def _plan_ahead(self) -> None:
        day = self.clock.now().astimezone(self.tz).date() + timedelta(days=2)
        if day not in self.scheduled:
            self.schedule_day(day, reason="planned ahead")

    def _heartbeat(self, run_id: int) -> None:
        self.asrun.heartbeat(run_id, self.clock.now())

    def _job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_ERROR:
            log.error("job %s failed: %r", event.job_id, event.exception)
            return
        log.error("job %s missed its time (the computer was asleep or overloaded?)", event.job_id)
        airing_id = event.job_id.split(":", 1)[-1]
        for airing in self._find(airing_id):
            self.asrun.record(
                airing,
                Status.MISSED,
                "the scheduler woke up too late (computer asleep or overloaded)",
                at=self.clock.now(),
            )

    def _find(self, airing_id: str) -> list[Airing]:
        day = datetime.strptime(airing_id[:8], "%Y%m%d").date()
        result = plan(self.schedule, day, day, durations=self.durations, level=self.level)
        return [a for a in result.airings if a.airing_id == airing_id]

    # ------------------------------------------------------------------ the airer thread

    def _airer(self) -> None:
        assert self.engine is not None
        while not self.stopping.is_set():
            item = self.queue.get(timeout=0.5)
            if item is None:
                continue
            try:
                self.engine.air(item)
            except Exception:  # the daemon must outlive any single airing
                log.exception("airing %s failed unexpectedly", item.airing.airing_id)
