"""Talking to the running daemon from a command (shared by status, reload, level, ...)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from playout.cli.context import AppContext
from playout.daemon.control import NoDaemon, request
from playout.daemon.runtime import runtime_database
from playout.i18n import msg
from playout.problems import PlayoutError
from playout.schedule.values import SCHEDULES_DIR


def ask(
    app: AppContext, cmd: str, args: dict[str, Any] | None = None, timeout_s: float | None = None
) -> Any:
    """Send a command to the station's daemon.

    The daemon is found through the database it named in the station folder when it started
    (so status and reload work while the schedule is broken), else through the schedule."""
    wait = {} if timeout_s is None else {"timeout_s": timeout_s}
    if app.db is None and not (app.root / SCHEDULES_DIR).is_dir():
        raise PlayoutError(
            msg(
                "{root} is not a station folder (it has no {folder}/ folder)",
                root=str(app.root.resolve()),
                folder=SCHEDULES_DIR,
            ),
            msg(
                "run the command in the station folder, or name it: playout --dir FOLDER {cmd}",
                cmd=cmd,
            ),
        )
    tried: set[Path] = set()
    last: PlayoutError | None = None
    first = None if app.db is not None else runtime_database(app.root)
    if first is not None:  # the usual case: no schedule to read, nothing heavy to import
        tried.add(first)
        try:
            return request(first, cmd, args, operator=getpass.getuser(), **wait)
        except NoDaemon as exc:
            last = exc
    try:
        db = app.database_path()
    except PlayoutError:
        if last is not None:
            raise last from None
        raise
    if db not in tried:
        try:
            return request(db, cmd, args, operator=getpass.getuser(), **wait)
        except NoDaemon as exc:
            last = exc
    assert last is not None
    raise last
