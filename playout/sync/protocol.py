"""The upload protocol, shared by the station (``playout.sync``) and the hub (``playout.hub``).

A batch is JSON (gzip on the wire)::

    {"protocol": 1,
     "station": {"id": ..., "name": ..., "timezone": ..., "software": ...},
     "rows": [{"table": "airings", "seq": 17, "data": {...}}, ...]}

``seq`` is the row's ``sync_seq`` in the station database (a counter the database assigns on
every insert or change); rows come in ``seq`` order. The hub answers ``{"acked_seq": N, ...}``:
every row up to N is stored (or kept aside as refused, with its reason), so the station moves its
cursor to N. The hub upserts on each table's natural key with ``seq`` as a revision that only
grows, so sending a batch twice (a lost answer) changes nothing.
"""

from __future__ import annotations

PROTOCOL = 1
UPLOAD_PATH = "/api/v1/upload"

# table -> the columns that name a row across stations (with the station id from the token)
TABLES: dict[str, tuple[str, ...]] = {
    "clips": ("sha256",),
    "airings": ("airing_id",),
    "day_plans": ("day", "version"),
    "daemon_runs": ("id",),
    "alert_levels": ("id",),
}

MAX_ROWS = 2000  # rows in one batch
MAX_BYTES = 1 << 20  # JSON bytes of one batch before gzip
