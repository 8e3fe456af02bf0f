"""The playout daemon: airs the plan, logs every airing, recovers from crashes."""

from __future__ import annotations

from playout.daemon.asrun import AsRunLog
from playout.daemon.engine import Engine, Item
from playout.daemon.service import Daemon

__all__ = ["AsRunLog", "Daemon", "Engine", "Item"]
