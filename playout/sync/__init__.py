"""The station side of the hub: what to send (the outbox), the HTTP client, the upload loop,
the province's campaign bundles.

Imports only what the station already has (no FastAPI, no psycopg): a station runs without the
hub's packages installed. The names below are loaded on first use, so a command that only reads
the bundles' state (``playout status``) does not load SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playout.sync.outbox import Batch, SyncState, next_batch, pending_rows, read_state
    from playout.sync.protocol import PROTOCOL, TABLES
    from playout.sync.runner import SyncResult, Uploader, load_token

_WHERE = {
    "Batch": "outbox",
    "SyncState": "outbox",
    "next_batch": "outbox",
    "pending_rows": "outbox",
    "read_state": "outbox",
    "PROTOCOL": "protocol",
    "TABLES": "protocol",
    "SyncResult": "runner",
    "Uploader": "runner",
    "load_token": "runner",
}

__all__ = [
    "PROTOCOL",
    "TABLES",
    "Batch",
    "SyncResult",
    "SyncState",
    "Uploader",
    "load_token",
    "next_batch",
    "pending_rows",
    "read_state",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'playout.sync' has no attribute {name!r}")
    return getattr(importlib.import_module(f"playout.sync.{_WHERE[name]}"), name)
