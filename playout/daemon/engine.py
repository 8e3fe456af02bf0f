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
from datetime import datetime, timedelta
from pathlib import Path

from playout.clock import Clock
from playout.daemon.asrun import AsRunLog
from playout.library import ClipPathError, resolve_clip
from playout.planning import Airing
from playout.player import Outcome, Player, PlayerError
from playout.schedule.model import AudioSettings
from playout.store import Status, Trigger

log = logging.getLogger("playout.daemon")

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


@dataclass
class OnAir:
    airing: Airing
    trigger: Trigger
    started: datetime


@dataclass
class Engine:
    log: AsRunLog
    player: Player
    clock: Clock
    library: Path
    audio: AudioSettings
    run_id: int | None = None
    fallback_clip: str | None = None
    durations: Mapping[str, int] = field(default_factory=dict)
    checksums: Callable[[str], str | None] = lambda _clip: None
    shutdown: threading.Event = field(default_factory=threading.Event)
    on_air: OnAir | None = None

    def air(self, item: Item) -> Status | None:
        """Air one item; returns what became of it (None when it was logged already)."""
        airing = item.airing
        if self.log.is_logged(airing.airing_id):
            log.info("skip %s: already in the as-run log", airing.airing_id)
            return None
        now = self.clock.now()
        late = now - airing.start
        if late > self.audio.late_grace:
            reason = f"late by {_span(late)}: the output was busy or the station was off"
            self.log.record(airing, Status.MISSED, reason, at=now, run_id=self.run_id)
            log.warning("missed %s (%s)", airing.airing_id, reason)
            return Status.MISSED
        try:
            path = resolve_clip(self.library, airing.clip)
            cue = self.player.cue(path, airing.duration_ms)
        except (ClipPathError, PlayerError) as exc:
            reason = exc.message if isinstance(exc, ClipPathError) else str(exc)
            self.log.record(
                airing, Status.FAILED, reason, trigger=item.trigger, at=now, run_id=self.run_id
            )
            log.error("failed %s: %s", airing.airing_id, reason)
            self._fallback(item, reason)
            return Status.FAILED
        lead = self.audio.latency.total_seconds()
        wait = (airing.start - self.clock.now()).total_seconds() - lead
        if wait > 0 and self.clock.wait(wait, self.shutdown):
            return None  # shutting down before it started: it stays unlogged
        start = self.clock.now() + self.audio.latency
        late = start - airing.start
        note = f"started {_span(late)} late" if late > timedelta(seconds=1) else ""
        if not self.log.begin(
            airing,
            trigger=item.trigger,
            actual_start=start,
            clip_sha256=self.checksums(airing.clip),
            run_id=self.run_id,
            reason=note,
        ):
            return None
        self.on_air = OnAir(airing, item.trigger, start)
        log.info(
            "on air %s %s (%s)%s",
            airing.airing_id,
            airing.clip,
            item.trigger,
            f", {note}" if note else "",
        )
        try:
            result = self.player.play(cue)
        finally:
            self.on_air = None
        status = _OUTCOME_STATUS[result.outcome]
        reason = result.reason
        if status is Status.INTERRUPTED and self.shutdown.is_set():
            reason = "the daemon was stopped during the airing"
        if note and status is Status.COMPLETED:
            reason = note
        self.log.finish(airing.airing_id, status, result.played_ms, reason, self.clock.now())
        log.info(
            "%s %s: played %.1f s %s", status, airing.airing_id, result.played_ms / 1000, reason
        )
        if status is Status.FAILED and result.played_ms < airing.duration_ms / 2:
            self._fallback(item, reason)
        return status

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
        self.air(Item(now, item.rank, stand_in, Trigger.FALLBACK))


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min"
