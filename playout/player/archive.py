"""The air signal of a run kept whole: with ``--output afile`` libvlc rewrites its WAV file at
every airing, so after each one this wrapper copies it to a file of its own, named by the time
the airing started, in the station's time, and its clip
(``on-air-20200805-053000-bluezone-ngan.wav``). A PC with no sound card keeps the proof of what
went out."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from playout.clock import Clock
from playout.player.base import Cue, Player, PlayResult

log = logging.getLogger("playout.player")


class AirSignalArchive(Player):
    def __init__(self, player: Player, signal: Path, clock: Clock, tz: tzinfo) -> None:
        self.player = player
        self.signal = signal  # the file libvlc writes (--audiofile-file)
        self.clock = clock
        self.tz = tz  # the station's zone, whatever the machine's
        self.output = player.output

    @property
    def output_ok(self) -> bool:
        return self.player.output_ok

    def cue(self, path: Path, expected_ms: int) -> Cue:
        return self.player.cue(path, expected_ms)

    def play(self, cue: Cue, on_start: Callable[[], None] | None = None) -> PlayResult:
        started = self.clock.now().astimezone(self.tz)
        result = self.player.play(cue, on_start)
        name = f"{self.signal.stem}-{started:%Y%m%d-%H%M%S}-{cue.path.stem}{self.signal.suffix}"
        try:
            shutil.copyfile(self.signal, self.signal.with_name(name))
        except OSError as exc:  # the airing itself is logged as it went; only the copy is lost
            log.error("the air signal of %s was not kept: %s", cue.path.name, exc)
        return result

    def stop(self) -> None:
        self.player.stop()

    def close(self) -> None:
        self.player.close()
