"""The audio library: clip paths, probing and decoding with ffmpeg."""

from __future__ import annotations

from playout.library.paths import ClipPathError, resolve_clip
from playout.library.probe import AudioError, AudioInfo, ClipChecker, probe

__all__ = ["AudioError", "AudioInfo", "ClipChecker", "ClipPathError", "probe", "resolve_clip"]
