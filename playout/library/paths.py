"""Clip paths in schedules are relative to the station's audio library and must stay inside it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from playout.i18n import Said, msg

AUDIO_DIR = "audio"


class ClipPathError(Said):
    """A clip named by a path that is not a file inside the audio library."""


def resolve_clip(library: Path, ref: str) -> Path:
    """The file that ``ref`` names inside ``library``; raises :class:`ClipPathError`."""
    text = ref.strip().replace("\\", "/")
    hint = msg(
        'write the path relative to the {folder}/ folder, e.g. "bluezone/loi-keu-goi.wav"',
        folder=AUDIO_DIR,
    )
    if not text:
        raise ClipPathError(msg("the clip path is empty"), hint)
    if PurePosixPath(text).is_absolute() or PureWindowsPath(ref).is_absolute() or ":" in text:
        raise ClipPathError(
            msg(
                '"{ref}" is an absolute path; clips must be inside {folder}/',
                ref=ref,
                folder=AUDIO_DIR,
            ),
            hint,
        )
    if ".." in PurePosixPath(text).parts:
        raise ClipPathError(msg('"{ref}" leads outside the audio library ("..")', ref=ref), hint)
    root = library.resolve()
    candidate = library / text
    try:
        real = candidate.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # symlink loop
        raise ClipPathError(
            msg('"{ref}" cannot be followed: {error}', ref=ref, error=str(exc)), hint
        ) from exc
    if not real.is_relative_to(root):
        raise ClipPathError(
            msg(
                '"{ref}" is a link that leads outside the audio library (to {real})',
                ref=ref,
                real=str(real),
            ),
            msg("copy the file into {folder}/ instead of linking to it", folder=AUDIO_DIR),
        )
    if not real.exists():
        raise ClipPathError(
            msg('the clip "{ref}" does not exist in {folder}/', ref=ref, folder=AUDIO_DIR),
            msg("check the spelling, or import the file with 'playout library import'"),
        )
    if not real.is_file():
        raise ClipPathError(msg('"{ref}" is a folder, not an audio file', ref=ref))
    return real
