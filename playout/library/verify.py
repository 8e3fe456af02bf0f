"""Checking the clips a schedule names against the catalogue: they exist, decode to the end,
and are the audio the catalogue approved (checksum, length, loudness); and how to bring a clip
the catalogue does not know into it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from playout.i18n import Msg, Text, msg
from playout.library.catalog import DURATION_TOLERANCE_MS, Catalog, sha256_of
from playout.library.paths import AUDIO_DIR, ClipPathError, resolve_clip
from playout.library.probe import AudioError, ClipChecker
from playout.schedule.model import LibrarySettings


@dataclass(frozen=True)
class ClipIssue:
    """A clip that is not what the catalogue approved; ``message``/``hint`` in English, ``said``
    and ``hinted`` as messages (see :mod:`playout.i18n`)."""

    file: str
    said: Text
    hinted: Text = ""
    uncatalogued: bool = False
    changed: bool = False  # the file is not the audio the catalogue approved

    @property
    def message(self) -> str:
        return str(self.said)

    @property
    def hint(self) -> str:
        return str(self.hinted)


def verify_clips(
    library: Path,
    files: Sequence[str],
    catalog: Catalog,
    settings: LibrarySettings,
    checker: ClipChecker | None = None,
) -> list[ClipIssue]:
    """Every named clip exists, decodes to the end, and is the clip the catalog recorded."""
    checker = checker or ClipChecker()
    issues: list[ClipIssue] = []
    for ref in files:
        try:
            path = resolve_clip(library, ref)
            info = checker.check(path)
        except (ClipPathError, AudioError) as exc:
            issues.append(ClipIssue(ref, exc.said, exc.hinted))
            continue
        issues.extend(compare_with_catalog(ref, path, info.duration_ms, catalog, settings))
    return issues


def import_hint(ref: str, catalog: Catalog) -> Msg:
    """How to bring a clip the playlists name into the catalog: the copy it was imported as, or
    the command that imports it (the copy of an MP3, M4A ... is a WAV beside it)."""
    copies = [c for c in catalog.imported_as(PurePosixPath(ref).name) if c != ref]
    if copies:
        return imported_as(copies[0])
    folder = str(PurePosixPath(ref).parent)
    into = f" --into {folder}" if folder not in ("", ".") else ""
    command = f"playout library import {AUDIO_DIR}/{ref}{into}"
    if PurePosixPath(ref).suffix.lower() == ".wav":
        return msg("import it: {command}", command=command)
    copy = PurePosixPath(ref).with_suffix(".wav")
    return msg(
        "import it: {command}, then name its copy {copy} in the playlist",
        command=command,
        copy=str(copy),
    )


def imported_as(copy: str) -> Msg:
    return msg("it was imported as {copy}: write that name in the playlist", copy=copy)


def compare_with_catalog(
    ref: str, path: Path, duration_ms: int, catalog: Catalog, settings: LibrarySettings
) -> list[ClipIssue]:
    row = catalog.current(ref)
    if row is None:
        said = msg("not in the catalog (not imported, so not checked or normalised)")
        return [ClipIssue(ref, said, import_hint(ref, catalog), uncatalogued=True)]
    issues = []
    if sha256_of(path) != row.sha256:
        issues.append(
            ClipIssue(
                ref,
                msg(
                    "the file changed since it was imported (checksum differs from {sha}…, "
                    "imported {at})",
                    sha=row.sha256[:12],
                    at=f"{row.imported_at:%d/%m/%Y %H:%M}",
                ),
                msg("import the approved clip again; do not edit files in audio/ by hand"),
                changed=True,
            )
        )
    elif abs(duration_ms - row.duration_ms) > DURATION_TOLERANCE_MS:
        issues.append(
            ClipIssue(
                ref,
                msg(
                    "lasts {ms} ms, the catalog says {known} ms",
                    ms=duration_ms,
                    known=row.duration_ms,
                ),
            )
        )
    if abs(row.loudness_after - settings.loudness) > settings.tolerance:
        issues.append(
            ClipIssue(
                ref,
                msg(
                    "loudness {lufs} LUFS is more than {lu} LU from the target {target} LUFS",
                    lufs=f"{row.loudness_after:.1f}",
                    lu=f"{settings.tolerance:g}",
                    target=f"{settings.loudness:g}",
                ),
                msg("import the clip again to normalise it to the current target"),
            )
        )
    return issues
