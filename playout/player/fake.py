"""A player without audio, for fast tests of the daemon's logic (mopidy's dummy_audio).

It keeps the Player contract (the same test suite runs against it and against VLC): WAV files
are read to know how long they really play, so a truncated file ends early as with VLC. Time
passes on the given Clock, so on a FixedClock a whole day of airings runs in milliseconds.
It records every call, so tests can check the order the daemon used it in.
"""

from __future__ import annotations

import threading
import wave
from collections.abc import Callable
from pathlib import Path

from playout import reasons
from playout.clock import Clock, SystemClock
from playout.player.base import Cue, Outcome, Player, PlayerError, PlayResult, check_file, judge

TICK_MS = 20


def playable_ms(path: Path) -> int:
    """How long the audio really in the file lasts (a header may promise more)."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
            declared = w.getnframes()
    except (wave.Error, EOFError) as exc:
        raise PlayerError(reasons.CANNOT_DECODE.text(path=path, error=exc)) from exc
    data = max(path.stat().st_size - 44, 0) // max(width * channels, 1)
    return int(min(declared, data) * 1000 / rate)


class FakePlayer(Player):
    def __init__(self, clock: Clock | None = None, *, fail_output: bool = False) -> None:
        self.clock = clock or SystemClock()
        self.output = "fake"
        self.calls: list[tuple[str, str]] = []
        self.fail_output = fail_output
        self._stop = threading.Event()
        self._playing = threading.Lock()
        self.closed = False

    def cue(self, path: Path, expected_ms: int) -> Cue:
        self._check_open()
        self.calls.append(("cue", path.name))
        check_file(path)
        length = playable_ms(path)
        if length <= 0:
            raise PlayerError(reasons.SILENT_FILE.text(path=path))
        return Cue(path, expected_ms, handle=length)

    def play(self, cue: Cue, on_start: Callable[[], None] | None = None) -> PlayResult:
        self._check_open()
        self._take(cue)
        if not self._playing.acquire(blocking=False):
            raise RuntimeError("play() while another play() is in progress")
        try:
            self.calls.append(("play", cue.path.name))
            self._stop.clear()
            if on_start is not None:
                on_start()
            assert isinstance(cue.handle, int)
            remaining = cue.handle
            played = 0
            while remaining > 0:
                step = min(TICK_MS, remaining)
                if self.clock.wait(step / 1000, self._stop):
                    self.calls.append(("stopped", cue.path.name))
                    return PlayResult(Outcome.INTERRUPTED, played, reasons.STOPPED.text())
                played += step
                remaining -= step
            self.calls.append(("ended", cue.path.name))
            if self.fail_output:
                return PlayResult(Outcome.FAILED, 0, reasons.NO_AUDIO.text(detail="fake output"))
            return judge(played, cue.expected_ms)
        finally:
            self._playing.release()

    @property
    def output_ok(self) -> bool:
        return not self.fail_output

    def stop(self) -> None:
        self.calls.append(("stop", ""))
        self._stop.set()

    def close(self) -> None:
        self.stop()
        self.closed = True

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError("the player is closed")
