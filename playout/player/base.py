"""The Player interface the daemon uses (after mopidy's ``audio/_api.py``).

The contract, which ``tests/test_player.py`` checks against every backend:

* ``cue(path, expected_ms)`` opens and parses a clip so that ``play`` starts without a cold
  start; a missing, empty or unreadable file raises :class:`PlayerError` with the reason.
* ``play(cue)`` blocks until the clip ends, fails, stalls or is stopped, and returns a
  :class:`PlayResult`. A clip is ``completed`` only if it played (almost) as long as expected
  and audio reached the output; a clip that ends early is ``failed`` with the seconds played.
* ``stop()`` may be called from any thread; the ``play`` in progress returns ``interrupted``
  soon after (within 200 ms). Without a play in progress it does nothing.
* One cue is played once; cue again to replay.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from playout import reasons

# a clip may end this much before its expected length and still count as completed
END_TOLERANCE_MS = 300


class PlayerError(Exception):
    """A clip cannot be cued (missing, empty, unreadable) or the output is unusable."""


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class PlayResult:
    outcome: Outcome
    played_ms: int
    reason: str = ""


@dataclass
class Cue:
    path: Path
    expected_ms: int
    handle: object = None  # backend data
    used: bool = False


def judge(played_ms: int, expected_ms: int) -> PlayResult:
    """Completed if it played to (almost) the expected end, else failed with what played."""
    if played_ms + END_TOLERANCE_MS >= expected_ms:
        return PlayResult(Outcome.COMPLETED, played_ms)
    return PlayResult(
        Outcome.FAILED,
        played_ms,
        reasons.ENDED_EARLY.text(
            played=f"{played_ms / 1000:.1f}", length=f"{expected_ms / 1000:.1f}"
        ),
    )


def check_file(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise PlayerError(reasons.FILE_MISSING.text(path=path)) from exc
    except OSError as exc:
        raise PlayerError(reasons.FILE_UNREADABLE.text(path=path, error=exc.strerror)) from exc
    if size == 0:
        raise PlayerError(reasons.FILE_EMPTY.text(path=path))


class Player(ABC):
    #: the audio output in use, for logs and status ("pulse", "alsa: hw:0", ...)
    output: str = ""

    @property
    def output_ok(self) -> bool:
        """False after an airing whose audio did not reach the output, until one does."""
        return True

    @abstractmethod
    def cue(self, path: Path, expected_ms: int) -> Cue: ...

    @abstractmethod
    def play(self, cue: Cue, on_start: Callable[[], None] | None = None) -> PlayResult: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @staticmethod
    def _take(cue: Cue) -> None:
        if cue.used:
            raise RuntimeError("a cue plays once; cue the clip again")
        cue.used = True
