"""Schedules: operator YAML -> a validated :class:`Schedule` model.

The names below are loaded on first use (PEP 562), so importing a light module of this package
(``playout.schedule.values``: dates, durations) does not load pydantic and the loader.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playout.schedule.loader import LoadResult, find_files, load_schedule
    from playout.schedule.model import (
        Blackout,
        Campaign,
        Playlist,
        PlaylistClip,
        Priority,
        Rotation,
        Schedule,
        Session,
        Station,
    )

_WHERE = {
    "LoadResult": "loader",
    "find_files": "loader",
    "load_schedule": "loader",
    "Blackout": "model",
    "Campaign": "model",
    "Playlist": "model",
    "PlaylistClip": "model",
    "Priority": "model",
    "Rotation": "model",
    "Schedule": "model",
    "Session": "model",
    "Station": "model",
}

__all__ = [
    "Blackout",
    "Campaign",
    "LoadResult",
    "Playlist",
    "PlaylistClip",
    "Priority",
    "Rotation",
    "Schedule",
    "Session",
    "Station",
    "find_files",
    "load_schedule",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
