"""The database file deleted or replaced under the running daemon, seen and put back.

SQLite keeps writing to a file that was deleted while it is open (the rows go into a file no
one will ever read again), and a new start would make an empty database and air again what
aired. The guard holds one connection of its own open on the database (so its content stays
readable whatever happens to the path) and, at every heartbeat, compares the file at the path
with the one it holds (device and inode). When they differ it writes the held copy, every row
the daemon wrote included, back to the path in one step (SQLite's backup) and the daemon goes
on with it; a file someone put in its place is kept beside it, renamed.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from playout.store import Database, open_database

log = logging.getLogger("playout.daemon")


@dataclass(frozen=True)
class Restored:
    path: Path
    airings: int
    replaced: Path | None  # where a file found at the path was moved

    def describe(self) -> str:
        was = (
            f"replaced by another file (kept as {self.replaced.name})"
            if self.replaced is not None
            else "deleted"
        )
        return (
            f"the database file {self.path} was {was} while the daemon ran: it is back, with "
            f"every row the daemon had written ({self.airings} airings)"
        )


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class DatabaseGuard:
    def __init__(
        self,
        db: Database,
        hold: Callable[[], AbstractContextManager[object]] = nullcontext,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        """``hold`` pauses the daemon's writer while the file is put back; ``now`` names a
        replaced file."""
        self.db = db
        self.path = db.path
        self.hold = hold
        self.now = now
        self._keeper = self._open()
        self._identity = _identity(self.path)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()  # the file is open now
        return conn

    def close(self) -> None:
        self._keeper.close()

    def check(self) -> Restored | None:
        """Is the database at its path still the one the daemon writes? Put it back if not."""
        if _identity(self.path) == self._identity:
            return None
        with self.hold():
            return self._restore()

    def _restore(self) -> Restored:
        keeper = self._keeper
        keeper.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        copy = self.path.with_name(self.path.name + ".restoring")
        copy.unlink(missing_ok=True)
        target = sqlite3.connect(str(copy))
        try:
            keeper.backup(target)
            airings = int(target.execute("SELECT count(*) FROM airings").fetchone()[0])
        finally:
            target.close()
        self.db.engine.dispose()  # its connections write to the lost file
        replaced = None
        if self.path.exists():
            replaced = self.path.with_name(f"{self.path.name}.replaced-{self.now():%Y%m%d-%H%M%S}")
            os.replace(self.path, replaced)
        for stale in _sidecars(self.path):  # the lost file's WAL and index, now empty
            stale.unlink(missing_ok=True)
        os.replace(copy, self.path)
        fresh = open_database(self.path)
        self.db.engine, self.db.sessions = fresh.engine, fresh.sessions
        keeper.close()
        self._keeper = self._open()
        self._identity = _identity(self.path)
        return Restored(self.path, airings, replaced)


def _sidecars(path: Path) -> Iterator[Path]:
    for suffix in ("-wal", "-shm", "-journal"):
        yield path.with_name(path.name + suffix)
