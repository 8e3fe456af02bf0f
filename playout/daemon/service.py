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

import hashlib
import heapq
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from playout.clock import Clock
from playout.daemon.asrun import AsRunLog
from playout.daemon.control import ControlError, ControlServer
from playout.daemon.engine import Engine, Item, Preempted
from playout.daemon.lock import StationLock
from playout.daemon.notify import notify, watchdog_interval
from playout.daemon.recovery import recover
from playout.library import AudioError, ClipPathError, probe, resolve_clip
from playout.planning import Airing, Placement, place_make_goods, plan
from playout.player import Player
from playout.schedule import Priority, Schedule
from playout.schedule.loader import PLAYLISTS_DIR, SCHEDULES_DIR
from playout.store import Database, Status, Trigger

log = logging.getLogger("playout.daemon")

HEARTBEAT_S = 5
STOP_TIMEOUT_S = 3.0
WATCH_S = 1.0
ANNOUNCE = "announcement"

# (schedule, clip durations, clip checksums) freshly loaded and checked, or the errors
Loaded = tuple[Schedule, Mapping[str, int], Mapping[str, str]]
Loader = Callable[[], Loaded | list[str]]


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

    def items(self) -> list[Item]:
        with self._cond:
            return sorted(self._heap)

    def remove_if(self, drop: Callable[[Item], bool]) -> None:
        with self._cond:
            self._heap = [i for i in self._heap if not drop(i)]
            heapq.heapify(self._heap)


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
    root: Path | None = None  # the station folder, watched for schedule edits
    loader: Loader | None = None  # reloads and checks the station folder

    def __post_init__(self) -> None:
        self.tz = self.schedule.station.tz
        self.audio = self.schedule.station.audio
        self.asrun = AsRunLog(self.db, self.schedule.station.id)
        self.queue = AirQueue()
        self.scheduled: set[date] = set()
        self.booked: dict[str, Item] = {}
        self.plans: dict[date, list[Airing]] = {}
        self._lock = StationLock(self.db.path.with_name(self.db.path.name + ".lock"))
        self._plan_lock = threading.RLock()
        self.engine: Engine | None = None
        self.started_at = self.clock.now()
        self.level_until: datetime | None = None
        self.last_reload: dict[str, Any] = {"at": None, "ok": True, "errors": [], "reason": ""}
        self.version = _files_digest(self.root)
        self._beat = time.monotonic()
        self._announced = 0

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
        persisted = self.asrun.level_at(now)
        if persisted is not None:
            self.level, self.level_until = persisted.level, persisted.until
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
            checksums=lambda clip: self.checksums.get(clip),
            shutdown=self.stopping,
            on_interrupted=self._make_good_later,
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
        if self.level_until is not None:
            scheduler.add_job(self._level_expired, DateTrigger(self.level_until), id="level-end")
        airer = threading.Thread(target=self._airer, name="airer", daemon=True)
        self.airer = airer
        self._install_signals()
        scheduler.start()
        airer.start()
        control = ControlServer(self.db.path, self.handle)
        control.start()
        threading.Thread(target=self._watch_files, name="watch", daemon=True).start()
        threading.Thread(target=self._watchdog, name="watchdog", daemon=True).start()
        notify("READY=1\nSTATUS=on air")
        log.info(
            "on air: station %s, audio output %s, %d airing(s) waiting; level %d",
            self.schedule.station.id,
            self.player.output,
            len(scheduler.get_jobs()) - 2 + len(self.queue),
            self.level,
        )
        limit = self.exit_after.total_seconds() if self.exit_after else None
        self.stopping.wait(limit)
        notify("STOPPING=1")
        self.stop()
        control.stop()
        airer.join(STOP_TIMEOUT_S)
        scheduler.shutdown(wait=False)
        self.asrun.end_run(run_id, self.clock.now())
        log.info("stopped")

    def stop(self) -> None:
        """Stop: the airing on air is interrupted (and logged so); nothing new starts."""
        self.stopping.set()
        if self.engine is not None:
            self.engine.stop()
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
        with self._plan_lock:
            self.plans[day] = list(result.airings)
            for airing in result.airings:
                if airing.airing_id not in logged:
                    self._book(airing, Trigger.SCHEDULE)
            self.scheduled.add(day)

    def _book(
        self, airing: Airing, trigger: Trigger, *, rank: int | None = None, operator: str = ""
    ) -> None:
        now = self.clock.now()
        if airing.start < now - self.audio.late_grace:
            return  # recovery has dealt with it
        rank = -airing.priority.rank if rank is None else rank
        item = Item(airing.start, rank, airing, trigger, operator)
        job_id = f"{trigger}:{airing.airing_id}"
        self.booked[job_id] = item
        fire = airing.start - self.audio.cue_ahead
        if fire <= now:
            self.queue.put(item)
            return
        self.scheduler.add_job(
            self.queue.put,
            DateTrigger(run_date=fire),
            args=[item],
            id=job_id,
            replace_existing=True,
        )

    def _plan_ahead(self) -> None:
        day = self.clock.now().astimezone(self.tz).date() + timedelta(days=2)
        if day not in self.scheduled:
            self.schedule_day(day, reason="planned ahead")

    def _heartbeat(self, run_id: int) -> None:
        self._beat = time.monotonic()
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
            except Preempted:
                self.queue.put(item)  # it airs after the announcement
            except Exception:  # the daemon must outlive any single airing
                log.exception("airing %s failed unexpectedly", item.airing.airing_id)

    # ------------------------------------------------------------------ operator control

    def handle(self, cmd: str, args: dict[str, Any], operator: str) -> Any:
        """A command from the control channel (see control.py). Runs on its own thread."""
        commands: dict[str, Callable[[], Any]] = {
            "ping": lambda: "pong",
            "status": self.status,
            "reload": lambda: self.reload("playout reload"),
            "level": lambda: self.set_level(
                _int(args, "level"),
                _when(args.get("until")),
                str(args.get("reason", "")),
                operator,
            ),
            "announce": lambda: self.announce(
                str(args.get("clip", "")),
                str(args.get("mode", "now")),
                _int(args, "repeat", 1),
                _int(args, "every", 600),
                operator,
            ),
            "pause": lambda: self.pause(_when(args.get("until")), operator),
            "resume": lambda: self.pause(None, operator),
        }
        if os.environ.get("PLAYOUT_TEST_HOOKS") == "1":
            commands["debug-hang-scheduler"] = self._hang_scheduler
        if cmd not in commands:
            raise ControlError(f"unknown command {cmd!r}")
        return commands[cmd]()

    def status(self) -> dict[str, Any]:
        assert self.engine is not None
        now = self.clock.now()
        today = now.astimezone(self.tz).date()
        on_air = None
        if (current := self.engine.on_air) is not None:
            elapsed = (now - current.started).total_seconds()
            on_air = {
                "airing_id": current.airing.airing_id,
                "campaign": current.airing.campaign,
                "clip": current.airing.clip,
                "trigger": current.trigger.value,
                "elapsed_s": round(elapsed, 1),
                "remaining_s": round(max(current.airing.duration_ms / 1000 - elapsed, 0), 1),
            }
        logged = self.asrun.logged_ids(today - timedelta(days=1), today + timedelta(days=2))
        waiting = sorted({*self.booked.values(), *self.queue.items()})
        upcoming = [
            {
                "airing_id": i.airing.airing_id,
                "start": i.start.astimezone(self.tz).isoformat(),
                "campaign": i.airing.campaign,
                "clip": i.airing.clip,
                "trigger": i.trigger.value,
            }
            for i in waiting
            if i.airing.airing_id not in logged and i.start >= now - self.audio.late_grace
        ][:10]
        counts: dict[str, dict[str, int]] = {}
        for a in self.plans.get(today, []):
            row = counts.setdefault(a.campaign, {"planned": 0})
            row["planned"] += 1
        for campaign, by_status in self.asrun.today_counts(today).items():
            row = counts.setdefault(campaign, {"planned": 0})
            row.update(by_status)
        return {
            "station": self.schedule.station.id,
            "now": now.astimezone(self.tz).isoformat(),
            "on_air": on_air,
            "next": upcoming,
            "level": self.level,
            "level_until": self.level_until.isoformat() if self.level_until else None,
            "paused_until": self.engine.paused_until.isoformat()
            if self.engine.paused_until
            else None,
            "schedule_version": self.version,
            "last_reload": self.last_reload,
            "today": counts,
            "uptime_s": round((now - self.started_at).total_seconds()),
            "audio_output": self.player.output,
            "database": str(self.db.path),
        }

    def reload(self, reason: str) -> dict[str, Any]:
        """Check the station folder again; if valid, the new plan applies from now on."""
        now = self.clock.now()
        if self.loader is None:
            raise ControlError("this daemon cannot reload (it was started without a folder)")
        loaded = self.loader()
        if isinstance(loaded, list):
            self.last_reload = {
                "at": now.isoformat(),
                "ok": False,
                "errors": loaded,
                "reason": reason,
            }
            log.error(
                "reload (%s) refused, the last good plan stays:\n%s", reason, "\n".join(loaded)
            )
            return self.last_reload
        schedule, durations, checksums = loaded
        with self._plan_lock:
            self.schedule, self.durations, self.checksums = schedule, durations, checksums
            if self.engine is not None:
                self.engine.durations = durations
                self.engine.fallback_clip = schedule.station.fallback_clip
            self.version = _files_digest(self.root)
            self._replan(reason)
        self.last_reload = {"at": now.isoformat(), "ok": True, "errors": [], "reason": reason}
        log.info("reloaded (%s): schedule version %s", reason, self.version)
        return self.last_reload

    def _replan(self, reason: str) -> None:
        """Plan today and tomorrow again; what aired or is on air is not touched."""
        with self._plan_lock:
            for job_id in [j for j in self.booked if j.startswith(f"{Trigger.SCHEDULE}:")]:
                del self.booked[job_id]
                if self.scheduler.get_job(job_id) is not None:
                    self.scheduler.remove_job(job_id)
            self.queue.remove_if(lambda i: i.trigger is Trigger.SCHEDULE)
            for day in sorted(self.scheduled):
                if day >= self.clock.now().astimezone(self.tz).date():
                    self.schedule_day(day, reason=reason)

    def set_level(
        self, level: int, until: datetime | None, reason: str, operator: str
    ) -> dict[str, Any]:
        if not 1 <= level <= 9:
            raise ControlError(f"level {level} is out of range (1-9)")
        now = self.clock.now()
        if until is not None and until <= now:
            raise ControlError("the --until time has already passed")
        self.asrun.set_level(level, now, until, reason, operator)
        self.level, self.level_until = level, until
        log.info(
            "alert level %d (%s, %s)%s",
            level,
            reason or "no reason given",
            operator,
            f" until {until.astimezone(self.tz):%d/%m/%Y %H:%M}" if until else "",
        )
        if until is not None:
            self.scheduler.add_job(
                self._level_expired, DateTrigger(until), id="level-end", replace_existing=True
            )
        self._replan(f"level {level}")
        return {"level": level, "until": until.isoformat() if until else None}

    def _level_expired(self) -> None:
        self.set_level(1, None, "the raised level expired", "playout")

    def announce(
        self, clip: str, mode: str, repeat: int, every_s: int, operator: str
    ) -> dict[str, Any]:
        """An announcement now (interrupting what is on air) or at the next break."""
        assert self.engine is not None
        if mode not in ("now", "next-break"):
            raise ControlError(f"unknown announcement mode {mode!r}")
        if not 1 <= repeat <= 20:
            raise ControlError("--repeat must be between 1 and 20")
        try:
            path = Path(clip) if Path(clip).is_absolute() else resolve_clip(self.library, clip)
            duration = probe(path).duration_ms
        except (ClipPathError, AudioError, OSError) as exc:
            raise ControlError(f"cannot announce {clip}: {getattr(exc, 'message', exc)}") from exc
        trigger = Trigger.EMERGENCY if mode == "now" else Trigger.PRIORITY
        now = self.clock.now()
        self._announced += 1
        ids = []
        for n in range(repeat):
            start = now + timedelta(seconds=every_s * n)
            local = start.astimezone(self.tz)
            airing = Airing(
                start=start,
                end=start + timedelta(milliseconds=duration),
                campaign=ANNOUNCE,
                airing_id=f"{local:%Y%m%d}-{ANNOUNCE}-{now.astimezone(self.tz):%H%M%S}"
                f"-{self._announced}-{n + 1}",
                day=local.date(),
                session=ANNOUNCE,
                clip=str(path) if Path(clip).is_absolute() else clip,
                duration_ms=duration,
                priority=Priority.HIGH,
                placement=Placement.SLOT,
            )
            ids.append(airing.airing_id)
            rank = -100 if trigger is Trigger.EMERGENCY else -50
            self._book(airing, trigger, rank=rank, operator=operator)
        if trigger is Trigger.EMERGENCY:
            self.engine.interrupt("interrupted by an emergency announcement")
        else:
            self.engine.interrupt_reason = ""
            self.engine.preempting = True
            self.engine.wake.set()
        log.info("announcement %s (%s, by %s): %s", ids[0], mode, operator or "?", clip)
        return {"airings": ids}

    def _make_good_later(self, airing: Airing) -> None:
        """An airing cut off by an announcement airs again later today, where it fits."""
        campaign = next((c for c in self.schedule.campaigns if c.id == airing.campaign), None)
        if campaign is None or not campaign.make_good:
            return
        now = self.clock.now()
        today = now.astimezone(self.tz).date()
        booked = [i.airing for i in self.booked.values() if i.airing.day == today]
        again = [a for a in [airing] if a.day == today]
        placed, unplaced = place_make_goods(
            self.schedule, today, booked, again, after=now + timedelta(seconds=30)
        )
        for a in unplaced:
            log.info("no room left today to make good %s", a.airing_id)
        for a in placed:
            self._book(replace(a, airing_id=f"{a.airing_id}-mg"), Trigger.MAKE_GOOD)
            log.info("make-good of %s at %s", a.airing_id, a.start.astimezone(self.tz))

    def pause(self, until: datetime | None, operator: str) -> dict[str, Any]:
        assert self.engine is not None
        if until is not None and until <= self.clock.now():
            raise ControlError("the pause would end in the past")
        self.engine.paused_until = until
        self.engine.pause_note = f"live relay, {operator}" if operator else "live relay"
        log.info("%s by %s", f"paused until {until}" if until else "resumed", operator or "?")
        return {"paused_until": until.isoformat() if until else None}

    # ------------------------------------------------------------------ watchers

    def _watch_files(self) -> None:
        """Reload when a file under schedules/ or playlists/ changes (after 1 s of quiet)."""
        if self.root is None or self.loader is None:
            return
        seen = _files_digest(self.root)
        while not self.stopping.wait(WATCH_S):
            current = _files_digest(self.root)
            if current == seen:
                continue
            time.sleep(WATCH_S)  # let the editor finish writing
            if _files_digest(self.root) != current:
                continue
            seen = current
            try:
                self.reload("a schedule file changed")
            except Exception:  # never let the watcher die
                log.exception("automatic reload failed")

    def _watchdog(self) -> None:
        """WATCHDOG=1 to systemd only while the scheduler and the airer are alive."""
        interval = watchdog_interval()
        if interval is None:
            return
        while not self.stopping.wait(interval):
            fresh = time.monotonic() - self._beat < 3 * HEARTBEAT_S
            if fresh and self.scheduler.running and self.airer.is_alive():
                notify("WATCHDOG=1")
            else:
                log.error("unhealthy (scheduler or airer stuck): not telling the watchdog")

    def _hang_scheduler(self) -> str:  # test hook: PLAYOUT_TEST_HOOKS=1
        lock = self.scheduler._jobstores_lock
        threading.Thread(target=lock.acquire, daemon=True).start()
        return "the scheduler will hang"


def _files_digest(root: Path | None) -> str:
    """A short version of the schedule: a digest of the files' names and contents."""
    if root is None:
        return ""
    digest = hashlib.sha256()
    for folder in (SCHEDULES_DIR, PLAYLISTS_DIR):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                try:
                    digest.update(path.read_bytes())
                except OSError:
                    digest.update(b"?")
    return digest.hexdigest()[:12]


def _int(args: dict[str, Any], key: str, default: int | None = None) -> int:
    value = args.get(key, default)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ControlError(f"{key!r} must be a whole number") from exc


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ControlError(f"not a time: {value!r}") from exc
    if when.tzinfo is None:
        raise ControlError("times must carry their time zone")
    return when
