"""What became of a file given to ``playout library import`` (light: the CLI reads it)."""

from __future__ import annotations

from enum import StrEnum


class ImportStatus(StrEnum):
    IMPORTED = "imported"
    CATALOGUED = "catalogued"  # already a playout copy inside the library: kept where it is
    DUPLICATE = "duplicate"
    REJECTED = "rejected"  # refused, with the reason: nothing was written for it
