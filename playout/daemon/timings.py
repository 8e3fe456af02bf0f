"""The daemon's own periods and limits in one place, so tests can shorten them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timings:
    """The daemon's own periods and limits, in seconds (tests shorten them)."""

    heartbeat_s: float = 5.0  # heartbeat, the days to schedule, output health
    stop_timeout_s: float = 3.0  # how long a stop waits for the airer and the writer
    thread_steady_s: float = 300.0  # a helper thread that ran this long starts its back-off over
    restart_first_s: float = 2.0  # a failed helper thread waits this, doubled each time ...
    restart_max_s: float = 60.0  # ... up to this
    progress_s: float = 0.5  # how often the time alive is written while an airing is on air

    @property
    def unhealthy_beat_s(self) -> float:
        return 3 * self.heartbeat_s

    def restart_delay(self, failures: int) -> float:
        """Seconds before a helper thread that failed ``failures`` times in a row starts."""
        return min(self.restart_first_s * float(2 ** (min(failures, 6) - 1)), self.restart_max_s)
