"""A small file in the station folder naming the running daemon's database.

The CLI finds the daemon's control channel through the database path, which it normally reads
from the schedule. When the schedule is broken (the moment the operator needs ``playout
status`` most) it cannot; so the daemon writes ``.playout-daemon.json`` at start (pid, station,
database) and removes it when it stops. A stale file (after a crash) only points at a socket
that no longer answers, which the CLI reports as "no daemon running".
"""

from __future__ import annotations

import json
import os
from pathlib import Path

RUNTIME_FILE = ".playout-daemon.json"


def write_runtime(root: Path, database: Path, station: str) -> None:
    data = {"pid": os.getpid(), "station": station, "database": str(database.resolve())}
    target = root / RUNTIME_FILE
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)


def remove_runtime(root: Path) -> None:
    try:
        data = json.loads((root / RUNTIME_FILE).read_text(encoding="utf-8"))
        if data.get("pid") == os.getpid():
            (root / RUNTIME_FILE).unlink()
    except (OSError, ValueError):
        pass


def runtime_database(root: Path) -> Path | None:
    """The database of the daemon that runs (or ran) for this folder, if it said so."""
    try:
        data = json.loads((root / RUNTIME_FILE).read_text(encoding="utf-8"))
        return Path(str(data["database"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
