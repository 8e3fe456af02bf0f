"""Playing audio: a narrow Player interface. Only ``player/vlc.py`` imports libvlc."""

from __future__ import annotations

from playout.player.base import Cue, Outcome, Player, PlayerError, PlayResult

__all__ = ["Cue", "Outcome", "PlayResult", "Player", "PlayerError"]
