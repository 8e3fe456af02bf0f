"""Steps of the wall clock and freezes of the process, found by comparing two clocks.

The schedule is kept in wall-clock time (the station's time), but the daemon measures waiting
on the monotonic clock. When NTP steps the wall clock (a PC whose CMOS battery died boots
with the wrong time and is corrected later), or the process is frozen (SIGSTOP, swapping, a
suspended machine), the two disagree. :class:`TimeWatch` reports each such discontinuity once,
to whichever thread asks first, so the daemon can derive the schedule again instead of
sleeping through airings or catching up with a burst.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from playout import reasons

STEP_S = 1.0  # the wall clock moved this much more (or less) than the monotonic clock
FREEZE_S = 2.0  # nobody looked for this long: the process was frozen or starved


@dataclass(frozen=True)
class Jump:
    before: float  # wall-clock time (unix seconds) when things were last seen right
    after: float  # wall-clock time now
    step_s: float  # wall minus monotonic movement: > 0 forward, < 0 backward
    frozen_s: float  # monotonic seconds nobody looked (the process was frozen)

    @property
    def forward(self) -> bool:
        return self.step_s > 0 or self.frozen_s > 0

    def describe(self) -> str:
        parts = []
        if abs(self.step_s) >= STEP_S:
            way = reasons.CLOCK_FORWARD if self.step_s > 0 else reasons.CLOCK_BACK
            parts.append(way.text(span=span(abs(self.step_s))))
        if self.frozen_s >= FREEZE_S:
            parts.append(reasons.FROZEN.text(span=span(self.frozen_s)))
        return " and ".join(parts) or reasons.TIME_JUMPED.text()


class TimeWatch:
    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        step_s: float = STEP_S,
        freeze_s: float = FREEZE_S,
    ) -> None:
        self._wall = wall
        self._mono = monotonic
        self._step_s = step_s
        self._freeze_s = freeze_s
        self._lock = threading.Lock()
        self._last_wall = wall()
        self._last_mono = monotonic()

    def check(self) -> Jump | None:
        """A discontinuity since the last check, or None. Cheap; call it often."""
        with self._lock:
            wall, mono = self._wall(), self._mono()
            d_wall, d_mono = wall - self._last_wall, mono - self._last_mono
            before = self._last_wall
            self._last_wall, self._last_mono = wall, mono
        step = d_wall - d_mono
        frozen = d_mono if d_mono >= self._freeze_s else 0.0
        if abs(step) < self._step_s and not frozen:
            return None
        if abs(step) < self._step_s:
            step = 0.0
        return Jump(before, wall, step, frozen)


def span(seconds: float) -> str:
    """Seconds as an operator reads them: "4.2 s", "20 min", "1.5 h"."""
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes = seconds / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"
