"""No log floods: a repeated message is logged once, then summarised.

The first time a message (same logger, level and text) is seen it passes; repeats
within ``window`` seconds are counted, not written; the next one after the window passes with
"(repeated N times since HH:MM:SS)", and :meth:`FloodFilter.flush` (called by the daemon every
few seconds) writes the count of a flood that has stopped. So a fault that repeats every
second costs one line a minute, and the rotated log keeps the first error.

One filter serves every handler (the screen and ``--log-file``): it decides once per record
and the record carries the decision, so a second handler neither counts it again as a repeat
nor gets another text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

WINDOW_S = 60.0
MAX_KEYS = 1000


@dataclass
class _Seen:
    last: float
    emitted: float
    suppressed: int = 0


class FloodFilter(logging.Filter):
    def __init__(self, window: float = WINDOW_S) -> None:
        super().__init__()
        self.window = window
        self._seen: OrderedDict[tuple[str, int, str], _Seen] = OrderedDict()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass or hold ``record``: decided once per record, so the screen's and the log
        file's handlers (which share this filter) both get the same lines."""
        decided = getattr(record, "flood_decision", None)
        if decided is not None:
            return bool(decided)
        passed = self._decide(record)
        record.flood_decision = passed
        return passed

    def _decide(self, record: logging.LogRecord) -> bool:
        if getattr(record, "summary", False):
            return True
        key = (record.name, record.levelno, record.getMessage())
        now = record.created
        with self._lock:
            seen = self._seen.get(key)
            if seen is None:
                self._seen[key] = _Seen(now, now)
                if len(self._seen) > MAX_KEYS:
                    self._seen.popitem(last=False)
                return True
            self._seen.move_to_end(key)
            seen.last = now
            if now - seen.emitted < self.window:
                seen.suppressed += 1
                return False
            if seen.suppressed:
                record.msg = f"{record.msg} (repeated {seen.suppressed} times since %s)"
                record.args = (*_args(record), _clock(seen.emitted))
            seen.emitted, seen.suppressed = now, 0
            return True

    def flush(self) -> None:
        """Write the count of repeats that stopped (no later message carried it)."""
        now = time.time()
        due: list[tuple[tuple[str, int, str], int, float]] = []
        with self._lock:
            for key, seen in self._seen.items():
                if seen.suppressed and now - seen.emitted >= self.window:
                    due.append((key, seen.suppressed, seen.last))
                    seen.emitted, seen.suppressed = now, 0
        for (name, level, msg), count, last in due:
            logging.getLogger(name).log(
                level,
                "the message %r repeated %d more times, the last at %s",
                msg,
                count,
                _clock(last),
                extra={"summary": True},
            )


def _args(record: logging.LogRecord) -> tuple[object, ...]:
    if isinstance(record.args, tuple):
        return record.args
    return () if record.args is None else (record.args,)


def _clock(when: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(when))
