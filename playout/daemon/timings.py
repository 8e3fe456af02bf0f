"""The daemon's own periods and limits in one place, so tests (and a maintainer tuning a slow
machine) can set them: ``PLAYOUT_TIMINGS="heartbeat_s=1,handshake_s=2"`` for ``playout run``."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Timings:
    """The daemon's own periods and limits, in seconds."""

    heartbeat_s: float = 5.0  # heartbeat, the days to schedule, output health
    handshake_s: float = 10.0  # a control client silent this long is cut off
    watch_s: float = 1.0  # the station folder is looked at this often; a reload waits this quiet
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

    @classmethod
    def from_text(cls, text: str) -> Timings:
        """``"heartbeat_s=1,handshake_s=2"``: the defaults with those changed. ValueError names
        what is wrong and the names that exist."""
        known = [f.name for f in fields(cls)]
        changed: dict[str, float] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in known:
                raise ValueError(f"unknown timing {name!r} (known: {', '.join(known)})")
            try:
                seconds = float(value)
            except ValueError:
                raise ValueError(f"{name}: {value.strip()!r} is not a number of seconds") from None
            if not 0 < seconds < 86_400:
                raise ValueError(
                    f"{name}: {seconds:g} s is out of range (more than 0, under a day)"
                )
            changed[name] = seconds
        return replace(cls(), **changed)
