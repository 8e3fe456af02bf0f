"""One daemon per station: an OS lock on a file next to the database.

The OS releases the lock when the process dies, however it dies, so a stale lock cannot block
a restart after a power cut (a pid file could). The pid inside is only for the message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from playout.problems import PlayoutError


class AlreadyRunning(PlayoutError):
    exit_code = 3


class StationLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+", encoding="utf-8")
        try:
            _lock(fh)
        except OSError:
            fh.seek(0)
            pid = fh.read().strip() or "?"
            fh.close()
            raise AlreadyRunning(
                f"another playout daemon is already running for this station (pid {pid})",
                f"stop it first (systemctl stop playout, or kill {pid}); the lock is {self.path}",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the file releases the lock
            self._fh = None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fh: IO[str]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
