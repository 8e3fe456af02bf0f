"""Airing one item: the daemon's core, independent of how time is driven.

``Engine.air`` is called in order, one item at a time, by the airer thread (real time) or
directly by tests (simulated time on a FixedClock with the fake player). It decides whether the
item is still due, cues the clip, waits for the instant, logs the start, plays, logs the end,
and plays the fallback clip when a clip is broken.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from playout import reasons
from playout.clock import Clock
from playout.daemon.ops import OpSink
from playout.daemon.timewatch import span
from playout.library import ClipPathError, resolve_clip
from playout.library.fingerprint import Fingerprints
from playout.planning import Airing, Placement
from playout.player import Cue, Outcome, Player, PlayerError
from playout.schedule.model import AudioSettings
from playout.store import Status, Trigger

log = logging.getLogger("playout.daemon")

WAIT_CHUNK_S = 0.5  # waits are cut in pieces so a step of the wall clock is seen at once

_OUTCOME_STATUS = {
    Outcome.COMPLETED: Status.COMPLETED,
    Outcome.FAILED: Status.FAILED,
    Outcome.INTERRUPTED: Status.INTERRUPTED,
}


@dataclass(order=True, frozen=True)
class Item:
    """An airing waiting for the output, in the order it must air."""

    start: datetime
    rank: int  # lower airs first at the same instant
    airing: Airing = field(compare=False)
    trigger: Trigger = field(compare=False, default=Trigger.SCHEDULE)
    operator: str = field(compare=False, default="")


class Preempted(Exception):
    """The item was waiting for its time when something more urgent came: queue it again."""


@dataclass
class OnAir:
    airing: Airing
    trigger: Trigger
    started: datetime


@dataclass
class Engine:
    log: OpSink
    player: Player
    clock: Clock
    library: Path
    audio: AudioSettings
    run_id: int | None = None
    fallback_clip: str | None = None
    durations: Mapping[str, int] = field(default_factory=dict)
    checksums: Callable[[str], str | None] = lambda _clip: None  # the catalogue's sha256
    fingerprints: Fingerprints = field(default_factory=Fingerprints)
    current: Callable[[Item], bool] = lambda _item: True  # False: the item was withdrawn
    shutdown: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)  # ends a wait early
    on_interrupted: Callable[[Airing], None] | None = None  # e.g. book a make-good
    tz: tzinfo | None = None  # the station's zone, for times written into reasons
    # shared with the control threads (announce, pause): read and written under _state only
    on_air: OnAir | None = field(default=None, init=False)
    paused_until: datetime | None = field(default=None, init=False)  # scheduled spots held
    pause_note: str = field(default="", init=False)
    interrupt_reason: str = field(default="", init=False)  # why the airing on air was cut
    preempting: bool = field(default=False, init=False)  # a waiting item gives way
    cut: bool = field(default=False, init=False)  # what is (or goes) on air stops at once
    _state: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def interrupt(self, reason: str) -> None:
        """Stop the airing on air (if any) now; it is logged interrupted with ``reason``.
        An item still waiting for its time gives way (``Preempted``); one that is starting
        when this comes is stopped as soon as its playback has started."""
        with self._state:
            self.interrupt_reason = reason
            self.preempting = True
            self.cut = True
            playing = self.on_air is not None
        self.wake.set()
        if playing:
            self.player.stop()

    def preempt(self) -> None:
        """Something airs at the next break: an item still waiting for its time gives way,
        the airing on air plays to its end."""
        with self._state:
            self.preempting = True
        self.wake.set()

    def pause(self, until: datetime | None, note: str) -> None:
        """Hold scheduled spots until ``until`` (None: resume)."""
        with self._state:
            self.paused_until = until
            self.pause_note = note

    def now_on_air(self) -> OnAir | None:
        with self._state:
            return self.on_air

    def paused(self) -> datetime | None:
        with self._state:
            return self.paused_until

    def _gives_way(self, trigger: Trigger) -> bool:
        """Is an announcement waiting that this item must give way to? (Asked once.)"""
        with self._state:
            if self.preempting and trigger is not Trigger.EMERGENCY:
                self.preempting = False
                return True
            return False

    def _go_on_air(self, item: Item, start: datetime) -> None:
        """The item goes on air: unless an announcement came after its wait ended."""
        with self._state:
            if self.preempting and item.trigger is not Trigger.EMERGENCY:
                self.preempting = False
                raise Preempted(item.airing.airing_id)
            # an emergency item is what the interrupt that brought it asked for
            self.preempting = self.cut = False
            self.interrupt_reason = ""
            self.on_air = OnAir(item.airing, item.trigger, start)

    def _started(self) -> None:
        """Playback has started: an interrupt that came while it was starting stops it now
        (the player forgets a stop() that comes before its play())."""
        with self._state:
            cut = self.cut
        if cut:
            self.player.stop()

    def _off_air(self) -> str:
        """The airing left the air; the reason of an interrupt that cut it, if any."""
        with self._state:
            self.on_air = None
            self.cut = False
            return self.interrupt_reason

    def stop(self) -> None:
        self.shutdown.set()
        self.wake.set()
        self.player.stop()

    def _path(self, item: Item) -> Path:
        clip = Path(item.airing.clip)
        if clip.is_absolute() and item.trigger in (Trigger.EMERGENCY, Trigger.PRIORITY):
            return clip  # an announcement file the operator named on the command line
        return resolve_clip(self.library, item.airing.clip)

    def air(self, item: Item) -> Status | None:
        """Air one item; returns what became of it (None when it was logged already)."""
        airing = item.airing
        if self.log.is_logged(airing.airing_id):
            log.info("skip %s: already in the as-run log", airing.airing_id)
            return None
        if not self.current(item):
            log.info("skip %s: withdrawn (the schedule was derived again)", airing.airing_id)
            return None
        now = self.clock.now()
        late = now - airing.start
        if late > self.audio.late_grace:
            reason = reasons.LATE.text(late=span(late.total_seconds()))
            self.log.record(airing, Status.MISSED, reason, at=now, run_id=self.run_id)
            log.warning("missed %s (%s)", airing.airing_id, reason)
            return Status.MISSED
        scheduled = item.trigger in (Trigger.SCHEDULE, Trigger.MAKE_GOOD)
        with self._state:
            paused_until, pause_note = self.paused_until, self.pause_note
        if scheduled and paused_until is not None and airing.start < paused_until:
            until = f"{paused_until.astimezone(self.tz or paused_until.tzinfo):%H:%M}"
            reason = (
                reasons.PAUSED_NOTE.text(until=until, note=pause_note)
                if pause_note
                else reasons.PAUSED.text(until=until)
            )
            self.log.record(airing, Status.SKIPPED, reason, at=now, run_id=self.run_id)
            log.info("skipped %s: %s", airing.airing_id, reason)
            return Status.SKIPPED
        try:
            path = self._path(item)
            cue = self.player.cue(path, airing.duration_ms)
            sha256, note = self._approve(airing.clip, path)
        except (ClipPathError, PlayerError) as exc:
            reason = exc.message if isinstance(exc, ClipPathError) else str(exc)
            self.log.record(
                airing, Status.FAILED, reason, trigger=item.trigger, at=now, run_id=self.run_id
            )
            log.warning("failed %s: %s", airing.airing_id, reason)
            self._fallback(item, reason)
            return Status.FAILED
        lead = self.audio.latency.total_seconds()
        while (wait := (airing.start - self.clock.now()).total_seconds() - lead) > 0:
            if self.shutdown.is_set():
                return None
            if not self.current(item):
                log.info("withdrawn %s before its time", airing.airing_id)
                return None
            if not self.clock.wait(min(wait, WAIT_CHUNK_S), self.wake):
                continue
            self.wake.clear()
            if self.shutdown.is_set():
                return None  # shutting down before it started: it stays unlogged
            if self._gives_way(item.trigger):
                raise Preempted(airing.airing_id)
        if self.shutdown.is_set() or not self.current(item):
            return None
        start = self.clock.now() + self.audio.latency
        self._go_on_air(item, start)
        try:
            return self._play(item, cue, start, sha256, note)
        finally:
            self._off_air()

    def _play(
        self, item: Item, cue: Cue, start: datetime, sha256: str | None, note: str
    ) -> Status | None:
        airing = item.airing
        scheduled = item.trigger in (Trigger.SCHEDULE, Trigger.MAKE_GOOD)
        late = start - airing.start
        moved = ""
        if airing.placement is Placement.MOVED and airing.wanted is not None:
            # the row's planned start is the 'at' time; where the planner put it is said here
            tz = self.tz or airing.start.tzinfo
            moved = reasons.MOVED.text(
                wanted=f"{airing.wanted.astimezone(tz):%H:%M:%S}",
                start=f"{airing.start.astimezone(tz):%H:%M:%S}",
            )
        started_late = ""
        if late > timedelta(seconds=1):
            started_late = reasons.STARTED_LATE.text(late=span(late.total_seconds()))
        note = "; ".join(x for x in (moved, started_late, note) if x)
        if not self.log.begin(
            airing,
            trigger=item.trigger,
            actual_start=start,
            clip_sha256=sha256,
            run_id=self.run_id,
            reason=note,
            operator=item.operator,
        ):
            return None
        log.info(
            "on air %s %s (%s)%s",
            airing.airing_id,
            airing.clip,
            item.trigger,
            f", {note}" if note else "",
        )
        result = self.player.play(cue, on_start=self._started)
        cut_by = self._off_air()
        status = _OUTCOME_STATUS[result.outcome]
        reason = result.reason
        played = max(0, min(result.played_ms, airing.duration_ms))
        if status is Status.INTERRUPTED and self.shutdown.is_set():
            reason = reasons.DAEMON_STOPPED.text()
        elif status is Status.INTERRUPTED:
            reason = cut_by or reason
            if self.on_interrupted is not None and scheduled:
                self.on_interrupted(airing)
        if note and status is Status.COMPLETED:
            reason = note
        self.log.finish(airing.airing_id, status, played, reason, self.clock.now())
        level = logging.INFO if status is Status.COMPLETED else logging.WARNING
        if not self.player.output_ok:
            level = logging.ERROR
        log.log(level, "%s %s: played %.1f s %s", status, airing.airing_id, played / 1000, reason)
        if status is Status.FAILED and played < airing.duration_ms / 2:
            self._fallback(item, reason)
        return status

    def _approve(self, clip: str, path: Path) -> tuple[str | None, str]:
        """The sha256 of the file about to air, checked against the catalogue's.

        A catalogued clip whose file changed since import is refused (unless the station
        allows unapproved audio, and then its real sha256 is logged)."""
        try:
            actual = self.fingerprints.sha256(path)
        except OSError as exc:
            raise PlayerError(reasons.FILE_UNREADABLE.text(path=path, error=exc.strerror)) from exc
        expected = self.checksums(clip)
        if expected is None or actual == expected:
            return actual, ""
        if not self.audio.allow_unapproved:
            raise PlayerError(
                reasons.CHANGED.text(
                    clip=clip, actual=f"{actual[:12]}…", expected=f"{expected[:12]}…"
                )
            )
        return actual, reasons.UNAPPROVED.text(sha=f"{expected[:12]}…")

    def _fallback(self, item: Item, why: str) -> None:
        """Play the station's fallback clip in place of a broken one."""
        if not self.fallback_clip or item.trigger is Trigger.FALLBACK or self.shutdown.is_set():
            return
        duration = self.durations.get(self.fallback_clip)
        if duration is None:
            return
        now = max(self.clock.now(), item.airing.start)  # in its place: at its time
        stand_in = replace(
            item.airing,
            airing_id=f"{item.airing.airing_id}-fallback",
            clip=self.fallback_clip,
            duration_ms=duration,
            start=now,
            end=now + timedelta(milliseconds=duration),
            wanted=None,
        )
        log.info("fallback for %s: %s", item.airing.airing_id, self.fallback_clip)
        if self.air(Item(now, item.rank, stand_in, Trigger.FALLBACK)) is not Status.COMPLETED:
            log.error(
                "the fallback clip %s did not play either: nothing aired for %s",
                self.fallback_clip,
                item.airing.airing_id,
            )
