"""Schedules: operator YAML -> a validated :class:`Schedule` model."""

from __future__ import annotations

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
