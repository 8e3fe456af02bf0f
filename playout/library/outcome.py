"""What became of a file given to ``playout library import`` (light: the CLI reads it)."""

from __future__ import annotations

from enum import StrEnum


class ImportStatus(StrEnum):
    IMPORTED = "imported"
    CATALOGUED = "catalogued"  # already a playout copy inside the library: kept where it is
    DUPLICATE = "duplicate"
    REJECTED = "rejected"  # refused, with the reason: nothing was written for it


def rejected(source: object, error: str, hint: str = "") -> dict[str, str]:
    """The record of a file that was refused (as the daemon answers it and the command prints
    it): nothing was written for it."""
    status = ImportStatus.REJECTED.value
    return {"source": str(source), "status": status, "error": error, "hint": hint}
