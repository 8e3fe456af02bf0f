"""Talking to the running daemon from a command (shared by status, reload, level, ...)."""

from __future__ import annotations

import getpass
from typing import Any

from playout.cli.context import AppContext
from playout.daemon.control import request


def ask(app: AppContext, cmd: str, args: dict[str, Any] | None = None) -> Any:
    return request(app.database_path(), cmd, args, operator=getpass.getuser())
