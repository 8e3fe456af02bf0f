"""The embedded database: clip catalog now, as-run log and stored plans later.

SQLite in WAL mode with ``synchronous=FULL`` by default; every schema change is a numbered
migration applied in place when the database is opened (see ``migrations.py``).
"""

from __future__ import annotations

from playout.store.db import Database, open_database
from playout.store.models import (
    AiringRow,
    AlertLevelRow,
    ClipCopyRow,
    ClipRow,
    DaemonRunRow,
    DayPlanRow,
    Status,
    SyncStateRow,
    Trigger,
)

__all__ = [
    "AiringRow",
    "AlertLevelRow",
    "ClipCopyRow",
    "ClipRow",
    "DaemonRunRow",
    "Database",
    "DayPlanRow",
    "Status",
    "SyncStateRow",
    "Trigger",
    "open_database",
]
