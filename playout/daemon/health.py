"""The daemon's health: what is wrong with it now, as messages (status shows them in the
operator's language), and systemd's watchdog told only while nothing is."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from playout.daemon.horizon import hms
from playout.daemon.notify import notify, watchdog_interval
from playout.i18n import Msg, msg

if TYPE_CHECKING:
    from playout.daemon.service import Daemon

log = logging.getLogger("playout.daemon")


def problems_of(d: Daemon) -> list[Msg]:
    """What is wrong now (empty when healthy)."""
    problems = []
    if time.monotonic() - d._beat > d.timings.unhealthy_beat_s:
        problems.append(
            msg(
                "the scheduler has not run its heartbeat for {seconds} s",
                seconds=f"{d.timings.unhealthy_beat_s:.0f}",
            )
        )
    if not d.timers.running:
        problems.append(msg("the scheduler is not running"))
    for name, thread in d._threads.items():
        if not thread.is_alive() and name != "watchdog":
            problems.append(msg("the {name} thread is gone", name=name))
    if d.asrun is not None and not d.asrun.alive():
        problems.append(msg("the as-run writer thread is gone"))
    if d.control is not None and not d.control.alive():
        problems.append(msg("the control channel thread is gone"))
    dead = d.output_dead_since
    if dead is not None and d.clock.now() - dead > d.horizon.audio.output_dead_restart:
        problems.append(msg("the audio output has not worked since {time}", time=hms(dead, d.tz)))
    return problems


def watch(d: Daemon) -> None:
    """WATCHDOG=1 to systemd only while the daemon is healthy (a thread of the daemon)."""
    interval = watchdog_interval()
    if interval is None:
        return
    while not d.stopping.wait(interval):
        problems = problems_of(d)
        if not problems:
            notify("WATCHDOG=1")
        else:
            for problem in problems:
                log.error("unhealthy (%s): not telling the watchdog", problem)
