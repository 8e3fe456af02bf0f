"""The running daemon: its timers, the airer thread, recovery, clean shutdown.

Time flows like this: the timers (APScheduler's, behind ``timers.Timers``) fire ``cue_ahead``
before each airing and put it on the airer's queue (ordered by start time); the airer thread
takes one item at a time and hands it to :class:`Engine`, which cues, waits for the exact
instant and plays. So one airing is on the output at a time, an airing due while another plays
starts right after it (its lateness logged), and one later than ``late_grace`` is logged
missed. Jobs live in memory only and are rebuilt from the plan at every start.

Faults the daemon lives through (see docs/operator/faults.md):

* the database cannot be written: the as-run log goes through :class:`BufferedAsRun`, which
  never blocks the air and spills to a preallocated file;
* the wall clock steps or the process is frozen: :class:`TimeWatch` sees it, APScheduler is
  woken, and airings the jump made late are made good (spaced) or logged missed, never aired
  in a burst; the days to schedule are derived from the station's clock every few seconds, in
  the station's time zone, whatever the machine's zone;
* the audio output dies: the player is rebuilt, ``status`` shows it, and the watchdog lets
  systemd restart the service when it stays dead;
* a helper thread dies: it is restarted, and the watchdog stops while one is gone.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from playout.clock import Clock
from playout.daemon.airqueue import AirQueue
from playout.daemon.asrun import AsRunLog
from playout.daemon.control import ControlServer, Handler
from playout.daemon.dbguard import DatabaseGuard
from playout.daemon.engine import Engine, Preempted
from playout.daemon.health import problems_of, watch
from playout.daemon.horizon import Horizon
from playout.daemon.lock import StationLock
from playout.daemon.logsummary import FloodFilter
from playout.daemon.notify import notify
from playout.daemon.recovery import recover
from playout.daemon.runtime import remove_runtime, write_runtime
from playout.daemon.spill import Spill
from playout.daemon.syncloop import SyncLoop
from playout.daemon.timers import SchedulerTimers, Timers
from playout.daemon.timewatch import TimeWatch
from playout.daemon.timings import Timings
from playout.daemon.writer import BufferedAsRun, replay_spill
from playout.i18n import Msg
from playout.library.catalog import sweep_imports
from playout.library.fingerprint import Fingerprints
from playout.planning import Airing
from playout.player import Player
from playout.problems import Problem
from playout.schedule import Schedule
from playout.store import Database, Trigger

log = logging.getLogger("playout.daemon")


# (schedule, clip durations, clip checksums) freshly loaded and checked, or the errors
Loaded = tuple[Schedule, Mapping[str, int], Mapping[str, str]]
Loader = Callable[[], Loaded | list[Problem]]  # the folder's plan, or its errors
Validator = Callable[[], dict[str, Any]]
Importer = Callable[[Path, str, str | None], dict[str, Any]]  # source, into, title -> record


class Daemon:
    """The running daemon: its lifecycle, threads and health. What it airs and when is its
    :class:`Horizon`'s (``self.horizon``), which owns the plan in force."""

    def __init__(
        self,
        *,
        schedule: Schedule,
        durations: Mapping[str, int],
        library: Path,
        db: Database,
        player: Player,
        clock: Clock,
        checksums: Mapping[str, str] | None = None,
        level: int = 1,
        exit_after: timedelta | None = None,
        stopping: threading.Event | None = None,
        root: Path | None = None,  # the station folder, watched for schedule edits
        loader: Loader | None = None,  # reloads and checks the station folder
        validator: Validator | None = None,  # checks it for `playout validate` (nothing applied)
        importer: Importer | None = None,  # `playout library import`, one file (warm libraries)
        flood: FloodFilter | None = None,  # the log's flood filter, flushed every heartbeat
        timewatch: TimeWatch | None = None,
        timings: Timings | None = None,
        timers: Timers | None = None,  # default: APScheduler's, started with the daemon
    ) -> None:
        self.library, self.db, self.player, self.clock = library, db, player, clock
        self.exit_after = exit_after
        self.stopping = stopping or threading.Event()
        self.root, self.validator, self.importer, self.flood = root, validator, importer, flood
        self.timings = timings or Timings()
        self.timers: Timers = timers or SchedulerTimers()
        self.tz = schedule.station.tz
        self.station_id = schedule.station.id
        self.direct = AsRunLog(self.db, self.station_id)
        self.spill = Spill(self.db.path.with_name(self.db.path.name + ".spill"))
        self.asrun: BufferedAsRun | None = None
        self.queue = AirQueue()
        self._lock = StationLock.for_database(self.db.path)
        self.engine: Engine | None = None
        self.started_at = self.clock.now()
        self.fingerprints = Fingerprints()
        self.time = timewatch or TimeWatch(wall=lambda: self.clock.now().timestamp())
        self.horizon = Horizon(
            schedule=schedule,
            durations=durations,
            checksums=checksums or {},
            level=level,
            clock=clock,
            queue=self.queue,
            timers=self.timers,
            timewatch=self.time,
            stopping=self.stopping,
            direct=self.direct,
            root=root,
            loader=loader,
            watch_s=self.timings.watch_s,
        )
        self.output_dead_since: datetime | None = None
        self._beat = time.monotonic()
        self._threads: dict[str, threading.Thread] = {}
        self.control: ControlServer | None = None
        self.sync: SyncLoop | None = None
        self._thread_failures: dict[str, int] = {}
        self.guard: DatabaseGuard | None = None
        self.run_id = 0
        self._recovered: list[Airing] = []

    # ------------------------------------------------------------------ lifecycle

    def run(self, handler: Handler) -> None:
        """Run until SIGTERM/SIGINT (or ``exit_after``), answering the control channel with
        ``handler`` (``commands.Commands.handle``)."""
        self._lock.acquire()
        try:
            self._run(handler)
        finally:
            self._lock.release()

    def _start_log(self, now: datetime) -> tuple[int, BufferedAsRun]:
        try:
            replay_spill(self.spill, self.direct)
        except OSError as exc:
            log.error(
                "no spill file (%s: %s): rows that cannot be written to the database wait in "
                "memory only",
                self.spill.path,
                exc.strerror,
            )
        renamed = self.direct.adopt_renamed()
        if renamed is not None:
            log.warning(
                "the station id changed from %r to %r: its as-run log moved to the new id (%s)%s",
                renamed.old,
                self.station_id,
                ", ".join(f"{n} {table}" for table, n in renamed.moved.items()),
                f"; {renamed.kept} airing(s) logged under both ids stay under the old one"
                if renamed.kept
                else "",
            )
        previous = self.direct.previous_run(before_id=2**62)
        # the very first start on this database counts nothing before it: not even what is
        # still within late_grace (it would air late, back to back)
        counts_from = now if previous is None else None
        h = self.horizon
        run_id = self.direct.begin_run(os.getpid(), socket.gethostname(), now, self.player.output)
        recovery = recover(
            self.direct,
            h.schedule,
            h.durations,
            now,
            previous=previous,
            late_grace=h.audio.late_grace,
            level=h.level,
            run_id=run_id,
            last_alive=self.spill.last_alive,
        )
        for closed in recovery.closed:
            log.warning(
                "closed %s as interrupted (%d ms played)", closed.airing_id, closed.played_ms
            )
        for airing in recovery.missed:
            log.warning("missed %s: station off air", airing.airing_id)
        asrun = BufferedAsRun(self.direct, self.clock, self.spill)
        self.guard = DatabaseGuard(self.db, hold=asrun.hold, now=self.clock.now)
        today = now.astimezone(self.tz).date()
        asrun.load_known(today - timedelta(days=8), today + timedelta(days=3))
        self._recovered = recovery.make_goods
        h.attach(asrun, run_id, counts_from)
        return run_id, asrun

    def prepare(self) -> None:
        """Everything before the air starts, with no thread but the as-run writer: recovery,
        the engine, today's and tomorrow's airings and the heartbeat booked on the timers.
        ``_run`` then starts the timers and the threads; a simulation drives them instead."""
        swept = sweep_imports(self.library)  # what imports cut by a power failure left
        if swept:
            log.info("removed %d partial file(s) of imports that did not finish", swept)
        now = self.clock.now()
        h = self.horizon
        persisted = self.direct.level_at(now)
        if persisted is not None:
            h.level, h.level_until = persisted.level, persisted.until
        self.run_id, self.asrun = self._start_log(now)
        self.asrun.start()
        self.engine = Engine(
            log=self.asrun,
            player=self.player,
            clock=self.clock,
            library=self.library,
            audio=h.audio,
            run_id=self.run_id,
            fallback_clip=h.schedule.station.fallback_clip,
            durations=h.durations,
            checksums=lambda clip: h.checksums.get(clip),
            fingerprints=self.fingerprints,
            current=h.current,
            shutdown=self.stopping,
            on_interrupted=h.make_good_later,
            tz=self.tz,
        )
        h.engine = self.engine
        h.ensure_days(now, reason="start")
        for airing in self._recovered:
            log.info("make-good %s at %s", airing.airing_id, airing.start.strftime("%H:%M:%S"))
            h.book(airing, Trigger.MAKE_GOOD)
        self.timers.every("maintain", self.timings.heartbeat_s, self._maintain)
        if h.level_until is not None:
            h.schedule_level_end(h.level_until)

    def _run(self, handler: Handler) -> None:
        self.prepare()
        assert self.asrun is not None
        run_id, timers = self.run_id, self.timers
        self._install_signals()
        timers.start()
        self._supervise("airer", self._airer)
        self._supervise("progress", self._progress)
        self._supervise("timewatch", self.horizon.watch_time)
        self._supervise("watch", self.horizon.watch_files)
        if self.root is not None:
            self.sync = SyncLoop(
                self.db.path,
                self.root,
                lambda: self.horizon.schedule.station,
                self.clock,
                self.stopping,
            )
            self._supervise("sync", self.sync.run)
        control = ControlServer(self.db.path, handler, self.timings.handshake_s)
        control.start()
        self.control = control
        if self.root is not None:
            write_runtime(self.root, self.db.path, self.station_id)
        self._supervise("watchdog", self._watchdog)
        # the objects of start-up (modules, plans, the engine) live as long as the process:
        # frozen, a full garbage collection no longer walks them all while a clip starts
        gc.collect()
        gc.freeze()
        notify("READY=1\nSTATUS=on air")
        log.info(
            "on air: station %s, audio output %s, %d airing(s) waiting; level %d",
            self.station_id,
            self.player.output,
            len(self.horizon.booked),
            self.horizon.level,
        )
        limit = self.exit_after.total_seconds() if self.exit_after else None
        self.stopping.wait(limit)
        notify("STOPPING=1")
        self.stop()
        control.stop()
        self._threads["airer"].join(self.timings.stop_timeout_s)
        timers.stop()
        self.asrun.stop(self.timings.stop_timeout_s)
        try:
            self.direct.end_run(run_id, self.clock.now())
        except Exception as exc:  # noqa: BLE001 - the database may be the fault we stop on
            log.error("could not record the end of this run: %s", exc)
        self.spill.close()
        if self.guard is not None:
            self.guard.close()
        if self.root is not None:
            remove_runtime(self.root)
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

    def _supervise(self, name: str, target: Callable[[], None]) -> None:
        """Run ``target`` on a thread that is restarted (with back-off) if it fails."""

        def run() -> None:
            while not self.stopping.is_set():
                started = time.monotonic()
                try:
                    target()
                    return
                except Exception:  # a helper thread must never die for good
                    failures = self._thread_failures.get(name, 0) + 1
                    if time.monotonic() - started >= self.timings.thread_steady_s:
                        failures = 1  # it ran well for a while: back-off starts over
                    self._thread_failures[name] = failures
                    log.exception("the %s thread failed (%d); restarting it", name, failures)
                    self.stopping.wait(self.timings.restart_delay(failures))

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads[name] = thread
        thread.start()

    # ------------------------------------------------------------------ periodic work

    def _maintain(self) -> None:
        """Every 5 s: heartbeat, the days to schedule, output health, log summaries."""
        assert self.asrun is not None
        self._beat = time.monotonic()
        now = self.clock.now()
        if self.guard is not None and (restored := self.guard.check()) is not None:
            log.error("%s", restored.describe())
        self.asrun.heartbeat(self.run_id, now)
        self.horizon.ensure_days(now, reason="planned ahead")
        if self.player.output_ok:
            if self.output_dead_since is not None:
                log.warning("the audio output works again (%s)", self.player.output)
            self.output_dead_since = None
        elif self.output_dead_since is None:
            self.output_dead_since = now
            log.error(
                "the audio output does not work (%s): airings fail until it comes back",
                self.player.output,
            )
        if self.flood is not None:
            self.flood.flush()

    # ------------------------------------------------------------------ the airer thread

    def _airer(self) -> None:
        while not self.stopping.is_set():
            self.air_next(timeout=0.5)

    def air_next(self, timeout: float) -> bool:
        """Air the next item of the queue (waiting up to ``timeout`` for one); False when
        there was none."""
        assert self.engine is not None
        item = self.queue.get(timeout=timeout)
        if item is None:
            return False
        try:
            self.engine.air(item)
        except Preempted:
            # it airs after the announcement, queued now (an item whose time has come
            # would sort before an announcement made a moment later)
            self.queue.put(replace(item, start=max(item.start, self.clock.now())))
        except Exception:  # the daemon must outlive any single airing
            log.exception("airing %s failed unexpectedly", item.airing.airing_id)
        return True

    def _progress(self) -> None:
        """While an airing is on air, the spill file's alive time every half second: after a
        crash, what played is known within a second."""
        assert self.engine is not None
        while not self.stopping.wait(self.timings.progress_s):
            if self.engine.now_on_air() is not None:
                self.spill.alive(time.time())

    # ------------------------------------------------------------------ health

    def health(self) -> list[Msg]:
        """What is wrong now (empty when healthy): the watchdog and status use it."""
        return problems_of(self)

    def _watchdog(self) -> None:
        watch(self)
