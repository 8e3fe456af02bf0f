"""The station side of the hub: what to send (the outbox), the HTTP client, the upload loop.

Imports only what the station already has (no FastAPI, no psycopg): a station runs without the
hub's packages installed.
"""

from __future__ import annotations

from playout.sync.outbox import Batch, SyncState, next_batch, pending_rows, read_state
from playout.sync.protocol import PROTOCOL, TABLES
from playout.sync.runner import SyncResult, Uploader, load_token

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
