"""One daemon per station: an OS lock on a file next to the database (its real path, symlinks
resolved).

The OS releases the lock when the process dies, however it dies, so a stale lock cannot block
a restart after a power cut (a pid file could). The pid inside is only for the message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from playout.oslock import lock_file
from playout.problems import PlayoutError


class AlreadyRunning(PlayoutError):
    exit_code = 3


class StationLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    @classmethod
    def for_database(cls, db_path: Path) -> StationLock:
        """The lock of the database at ``db_path``: beside the file it really is, so a
        symlink or another spelling of the path meets the same lock."""
        real = db_path.resolve()
        return cls(real.with_name(real.name + ".lock"))

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+", encoding="utf-8")
        try:
            lock_file(fh)
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
