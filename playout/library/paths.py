"""Clip paths in schedules are relative to the station's audio library and must stay inside it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

AUDIO_DIR = "audio"


class ClipPathError(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def resolve_clip(library: Path, ref: str) -> Path:
    """The file that ``ref`` names inside ``library``; raises :class:`ClipPathError`."""
    text = ref.strip().replace("\\", "/")
    hint = f'write the path relative to the {AUDIO_DIR}/ folder, e.g. "bluezone/loi-keu-goi.wav"'
    if not text:
        raise ClipPathError("the clip path is empty", hint)
    if PurePosixPath(text).is_absolute() or PureWindowsPath(ref).is_absolute() or ":" in text:
        raise ClipPathError(f'"{ref}" is an absolute path; clips must be inside {AUDIO_DIR}/', hint)
    if ".." in PurePosixPath(text).parts:
        raise ClipPathError(f'"{ref}" leads outside the audio library ("..")', hint)
    root = library.resolve()
    candidate = library / text
    try:
        real = candidate.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # symlink loop
        raise ClipPathError(f'"{ref}" cannot be followed: {exc}', hint) from exc
    if not real.is_relative_to(root):
        raise ClipPathError(
            f'"{ref}" is a link that leads outside the audio library (to {real})',
            f"copy the file into {AUDIO_DIR}/ instead of linking to it",
        )
    if not real.exists():
        raise ClipPathError(
            f'the clip "{ref}" does not exist in {AUDIO_DIR}/',
            "check the spelling, or import the file with 'playout library import'",
        )
    if not real.is_file():
        raise ClipPathError(f'"{ref}" is a folder, not an audio file')
    return real
