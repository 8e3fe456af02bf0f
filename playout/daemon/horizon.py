"""The daemon's horizon: the days it has scheduled, the airings it has booked on its timers,
make-goods, keeping all of that right when the wall clock steps or the process freezes, and the
plan in force: a reload (asked for, or when a file of the station folder changes) and the alert
level (with the timer that ends a raised level).

An object of its own: the daemon (``service.py``) owns the lifecycle, the threads and the health
and gives the horizon its clock, timers, queue and as-run log; ``commands.py`` answers the
control channel with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playout.clock import Clock
from playout.daemon.airqueue import AirQueue
from playout.daemon.asrun import AsRunLog
from playout.daemon.control import ControlError
from playout.daemon.engine import Engine, Item
from playout.daemon.recovery import settle
from playout.daemon.timers import Timers
from playout.daemon.timewatch import Jump, TimeWatch
from playout.daemon.writer import BufferedAsRun
from playout.i18n import msg
from playout.planning import Airing, place_make_goods, plan
from playout.schedule import Schedule
from playout.schedule.model import AudioSettings
from playout.schedule.values import SCHEDULES_DIR
from playout.station_folder import files_digest
from playout.store import Trigger

log = logging.getLogger("playout.daemon")

TIME_CHECK_S = 0.25
PLAN_AHEAD_HOUR = 23  # from this hour (station time) the day after tomorrow is scheduled too
JUMP_TOLERANCE = timedelta(seconds=2)  # an airing this late after a jump may still air


class Horizon:
    """Owns the plan in force (schedule, clip durations and checksums, alert level, the last
    reload) and what was made of it (the days scheduled, the airings booked on the timers, the
    plans per day, the clock jumps seen). The daemon builds it and, once its as-run log and its
    engine exist, :meth:`attach` es them; the commands and the health checks read it."""

    def __init__(
        self,
        *,
        schedule: Schedule,
        durations: Mapping[str, int],
        checksums: Mapping[str, str],
        level: int,
        clock: Clock,
        queue: AirQueue,
        timers: Timers,
        timewatch: TimeWatch,
        stopping: threading.Event,
        direct: AsRunLog,
        root: Path | None = None,
        loader: Callable[[], Any] | None = None,  # service.Loader: the folder's plan or errors
        watch_s: float = 1.0,  # how often the folder is looked at; the quiet before a reload
    ) -> None:
        self.watch_s = watch_s
        self.schedule = schedule
        self.durations = durations
        self.checksums = checksums
        self.tz: ZoneInfo = schedule.station.tz
        self.audio: AudioSettings = schedule.station.audio
        self.level = level
        self.level_until: datetime | None = None
        self.clock = clock
        self.queue = queue
        self.timers = timers
        self.time = timewatch
        self.stopping = stopping
        self.direct = direct
        self.root = root
        self.loader = loader
        self.version = files_digest(root)
        self.last_reload: dict[str, Any] = {"at": None, "ok": True, "errors": [], "reason": ""}
        self.scheduled: set[date] = set()
        self.booked: dict[str, Item] = {}
        self.plans: dict[date, list[Airing]] = {}
        self.plan_lock = threading.RLock()
        self.jumps: list[dict[str, Any]] = []
        # given by attach() when the daemon starts
        self.asrun: BufferedAsRun | None = None
        self.engine: Engine | None = None
        self.run_id = 0
        self.counts_from: datetime | None = None  # the first start: nothing before it airs

    def attach(self, asrun: BufferedAsRun, run_id: int, counts_from: datetime | None) -> None:
        """The as-run log of this run (the daemon makes it at its start, after recovery)."""
        self.asrun, self.run_id, self.counts_from = asrun, run_id, counts_from

    # ------------------------------------------------------------------ scheduling

    def today(self, now: datetime | None = None) -> date:
        return (now or self.clock.now()).astimezone(self.tz).date()

    def ensure_days(self, now: datetime, reason: str) -> None:
        """Today and tomorrow are scheduled (and the day after from 23:00), station time.

        Called from the heartbeat, the time watch and the airer at once: the check and the
        scheduling of a day happen under ``plan_lock``, so a day is planned once."""
        local = now.astimezone(self.tz)
        days = [local.date(), local.date() + timedelta(days=1)]
        if local.hour >= PLAN_AHEAD_HOUR:
            days.append(local.date() + timedelta(days=2))
        with self.plan_lock:
            for day in days:
                if day not in self.scheduled:
                    self.schedule_day(day, reason=reason if day == days[0] else "planned ahead")
            for old in [d for d in self.scheduled if d < local.date() - timedelta(days=1)]:
                self.scheduled.discard(old)
                self.plans.pop(old, None)
            for key in [k for k, i in self.booked.items() if i.airing.day < local.date()]:
                if self.booked[key].start < now - self.audio.late_grace:
                    del self.booked[key]

    def schedule_day(self, day: date, reason: str) -> None:
        assert self.asrun is not None
        result = plan(self.schedule, day, day, durations=self.durations, level=self.level)
        requested = {c.campaign: c.requested for c in result.counts}
        self.asrun.store_plan(
            day, result.airings, self.level, reason, self.clock.now(), requested,
            self.schedule.campaign_titles(),
        )  # fmt: skip
        log.info(
            "plan for %s (%s): %d airings", day.strftime("%d/%m/%Y"), reason, len(result.airings)
        )
        with self.plan_lock:
            self.plans[day] = list(result.airings)
            for airing in result.airings:
                if not self.asrun.has_aired(airing):
                    self.book(airing, Trigger.SCHEDULE)
            self.scheduled.add(day)

    def book(
        self, airing: Airing, trigger: Trigger, *, rank: int | None = None, operator: str = ""
    ) -> None:
        now = self.clock.now()
        if airing.start < now - self.audio.late_grace:
            return  # recovery has dealt with it
        scheduled = trigger in (Trigger.SCHEDULE, Trigger.MAKE_GOOD)
        if scheduled and self.counts_from is not None and airing.start < self.counts_from:
            return  # before the very first start: not due
        rank = -airing.priority.rank if rank is None else rank
        item = Item(airing.start, rank, airing, trigger, operator)
        job_id = f"{trigger}:{airing.airing_id}"
        with self.plan_lock:
            self.booked[job_id] = item
            fire = airing.start - self.audio.cue_ahead
            if fire <= now:
                self.queue.put(item)
                return
            self.timers.at(job_id, fire, partial(self.queue.put, item))

    def withdraw(self, key: str) -> Item | None:
        with self.plan_lock:
            item = self.booked.pop(key, None)
            self.timers.cancel(key)
            return item

    def current(self, item: Item) -> bool:
        """Is this item still wanted? (The engine asks before waiting and before starting.)"""
        self.check_time()
        if item.trigger not in (Trigger.SCHEDULE, Trigger.MAKE_GOOD):
            return True
        booked = self.booked.get(f"{item.trigger}:{item.airing.airing_id}")
        return booked is not None and booked.airing == item.airing

    def make_good_later(self, airing: Airing) -> None:
        """An airing cut off (announcement, output failure, freeze) airs again later today."""
        campaign = next((c for c in self.schedule.campaigns if c.id == airing.campaign), None)
        if campaign is None or not campaign.make_good or airing.airing_id.endswith("-mg"):
            return
        now = self.clock.now()
        today = self.today(now)
        with self.plan_lock:
            booked = [i.airing for i in self.booked.values() if i.airing.day == today]
        again = [a for a in [airing] if a.day == today]
        placed, unplaced = place_make_goods(
            self.schedule, today, booked, again, after=now + timedelta(seconds=30)
        )
        for a in unplaced:
            log.info("no room left today to make good %s", a.airing_id)
        for a in placed:
            self.book(replace(a, airing_id=f"{a.airing_id}-mg"), Trigger.MAKE_GOOD)
            log.info("make-good of %s at %s", a.airing_id, a.start.astimezone(self.tz))

    # ------------------------------------------------------------------ time

    def check_time(self) -> Jump | None:
        """Look for a step of the wall clock or a freeze; handle it once (any thread)."""
        jump = self.time.check()
        if jump is not None:
            self._on_jump(jump)
        return jump

    def _on_jump(self, jump: Jump) -> None:
        now = self.clock.now()
        what = jump.describe()
        log.warning("%s (at %s station time): deriving the schedule again", what, hms(now, self.tz))
        self.jumps = [*self.jumps[-9:], {"at": now.isoformat(), "what": what}]
        self.timers.wake()
        with self.plan_lock:
            self.ensure_days(now, reason="clock step")
            if not jump.forward:
                return
            before = datetime.fromtimestamp(jump.before, now.tzinfo)
            assert self.asrun is not None
            late = [
                key
                for key, item in self.booked.items()
                if item.trigger in (Trigger.SCHEDULE, Trigger.MAKE_GOOD)
                and before < item.start <= now - JUMP_TOLERANCE
                and not self.asrun.is_logged(item.airing.airing_id)
            ]
            passed = [item for key in late if (item := self.withdraw(key)) is not None]
            self.queue.remove_if(lambda i: any(i is p for p in passed))
        if not passed or self.asrun is None:
            return
        assert self.engine is not None
        self.engine.wake.set()
        result = settle(
            self.asrun,
            self.schedule,
            [i.airing for i in passed],
            now,
            booked=[i.airing for i in self.booked.values()],
            reason=what,
            run_id=self.run_id,
        )
        for airing in result.make_goods:
            log.info("make-good %s at %s (%s)", airing.airing_id, hms(airing.start, self.tz), what)
            self.book(airing, Trigger.MAKE_GOOD)
        for airing in result.missed:
            log.warning("missed %s: %s", airing.airing_id, what)

    # ------------------------------------------------------------------ the plan in force: reload

    def reload(self, reason: str) -> dict[str, Any]:
        """Check the station folder again; if valid, the new plan applies from now on."""
        now = self.clock.now()
        if self.loader is None:
            raise ControlError(msg("this daemon cannot reload (it was started without a folder)"))
        loaded = self.loader()
        if isinstance(loaded, list):
            errors = [p.format() for p in loaded]  # English, as the log keeps them
            self.last_reload = {
                "at": now.isoformat(),
                "ok": False,
                "errors": errors,
                "problems": [p.as_dict() for p in loaded],  # status shows them in its language
                "reason": reason,
            }
            log.error(
                "reload (%s) refused, the last good plan stays:\n%s", reason, "\n".join(errors)
            )
            return self.last_reload
        schedule, durations, checksums = loaded
        if schedule.station.id != self.schedule.station.id:
            error = (
                f"station.id changed from {self.schedule.station.id!r} to {schedule.station.id!r} "
                f"in {SCHEDULES_DIR}/: the running daemon keeps airing and logging as "
                f"{self.schedule.station.id!r}; restart it (systemctl restart playout) to use the "
                "new id: at its start the as-run log moves to the new id in one step and "
                "nothing that aired airs again"
            )
            self.last_reload = {
                "at": now.isoformat(),
                "ok": False,
                "errors": [error],
                "reason": reason,
            }
            log.error("reload (%s) refused, the last good plan stays: %s", reason, error)
            return self.last_reload
        with self.plan_lock:
            self.schedule, self.durations, self.checksums = schedule, durations, checksums
            self.audio = schedule.station.audio  # output and device apply at the next start
            if self.engine is not None:
                self.engine.durations = durations
                self.engine.fallback_clip = schedule.station.fallback_clip
                self.engine.audio = self.audio
            self.version = files_digest(self.root)
            self.replan(reason)
        self.last_reload = {"at": now.isoformat(), "ok": True, "errors": [], "reason": reason}
        log.info("reloaded (%s): schedule version %s", reason, self.version)
        return self.last_reload

    def replan(self, reason: str) -> None:
        """Plan today and tomorrow again; what aired or is on air is not touched."""
        with self.plan_lock:
            for job_id in [j for j in self.booked if j.startswith(f"{Trigger.SCHEDULE}:")]:
                self.withdraw(job_id)
            self.queue.remove_if(lambda i: i.trigger is Trigger.SCHEDULE)
            today = self.today()
            for day in sorted(self.scheduled):
                if day >= today:
                    self.schedule_day(day, reason=reason)

    def watch_files(self) -> None:
        """Reload when a file under schedules/ or playlists/ changes (after 1 s of quiet)."""
        if self.root is None or self.loader is None:
            return
        seen = files_digest(self.root)
        while not self.stopping.wait(self.watch_s):
            current = files_digest(self.root)
            if current == seen:
                continue
            time.sleep(self.watch_s)  # let the editor finish writing
            if files_digest(self.root) != current:
                continue
            seen = current
            self.reload("a schedule file changed")

    # ------------------------------------------------------------------ level

    def set_level(
        self, level: int, until: datetime | None, reason: str, operator: str
    ) -> dict[str, Any]:
        if not 1 <= level <= 9:
            raise ControlError(msg("level {level} is out of range (1-9)", level=level))
        now = self.clock.now()
        if until is not None and until <= now:
            raise ControlError(msg("the --until time has already passed"))
        self.direct.set_level(level, now, until, reason, operator)
        self.level, self.level_until = level, until
        log.info(
            "alert level %d (%s, %s)%s",
            level,
            reason or "no reason given",
            operator,
            f" until {until.astimezone(self.tz):%d/%m/%Y %H:%M}" if until else "",
        )
        if until is not None:
            self.schedule_level_end(until)
        self.replan(f"level {level}")
        return {"level": level, "until": until.isoformat() if until else None}

    def schedule_level_end(self, until: datetime) -> None:
        self.timers.at("level-end", until, self._level_expired)

    def _level_expired(self) -> None:
        self.set_level(1, None, "the raised level expired", "playout")

    def watch_time(self) -> None:
        while not self.stopping.wait(TIME_CHECK_S):
            self.check_time()


def hms(when: datetime, tz: Any) -> str:
    return when.astimezone(tz).strftime("%H:%M:%S")
