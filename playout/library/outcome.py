"""What became of a file given to ``playout library import`` (light: the CLI reads it)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from playout.i18n import Msg, Text


class ImportStatus(StrEnum):
    IMPORTED = "imported"
    CATALOGUED = "catalogued"  # already a playout copy inside the library: kept where it is
    DUPLICATE = "duplicate"
    REJECTED = "rejected"  # refused, with the reason: nothing was written for it


def rejected(source: object, error: Text, hint: Text = "") -> dict[str, Any]:
    """The record of a file that was refused (as the daemon answers it and the command prints
    it): nothing was written for it. The error and hint in English, and as messages."""
    status = ImportStatus.REJECTED.value
    record: dict[str, Any] = {
        "source": str(source), "status": status, "error": str(error), "hint": str(hint)
    }  # fmt: skip
    for key, text in (("error_msg", error), ("hint_msg", hint)):
        if isinstance(text, Msg):
            record[key] = text.as_dict()
    return record


def said(record: dict[str, Any], key: str) -> Text:
    """A record's ``error`` or ``hint`` as a message when it came as one."""
    found = record.get(f"{key}_msg")
    return Msg.from_dict(found) if isinstance(found, dict) else str(record.get(key) or "")
