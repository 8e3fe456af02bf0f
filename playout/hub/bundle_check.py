"""Checking a campaign bundle folder before it is published: with the stations' own loader and
clip checker (every error with its file:line), the sessions it names stood in for, its clips
normalised with the stations' own importer. Nothing is stored here (``bundles.py`` does)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from playout.library.catalog import sha256_of
from playout.problems import Location, Problem, error
from playout.schedule.loader import find_files
from playout.schedule.model import ID_PATTERN, LibrarySettings
from playout.schedule.yamlsrc import load_file
from playout.sync.bundle_format import (
    MAX_CLIP_BYTES,
    MAX_FILES,
    MAX_YAML_BYTES,
    PROVINCE_DIR,
    BundleFile,
    path_problem,
)

STATION_KEYS = ("station", "sessions", "blackouts")


@dataclass
class CheckedBundle:
    folder: Path
    files: list[BundleFile] = field(default_factory=list)
    contents: dict[str, Path] = field(default_factory=dict)  # sha256 -> file holding it
    problems: list[Problem] = field(default_factory=list)
    workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def _referenced_sessions(schedule_files: list[Path], folder: Path) -> list[str]:
    names: list[str] = []
    for path in schedule_files:
        doc, found = load_file(path, str(path.relative_to(folder)))
        if found or not isinstance(doc.data, dict):
            continue
        for campaign in doc.data.get("campaigns") or []:
            if isinstance(campaign, dict) and isinstance(campaign.get("sessions"), list):
                names += [s for s in campaign["sessions"] if isinstance(s, str)]
    return sorted({n for n in names if re.fullmatch(ID_PATTERN, n)})


def _stand_in_station(names: list[str], where: Path) -> Path:
    """A station file that defines the sessions a bundle names, one after another through the
    day, so the stations' loader can check the bundle (each station checks it again against
    its own sessions)."""
    lines = ["station: {id: hub/bundle-check, name: bundle check}", "sessions:"]
    n = max(len(names), 1)
    for i, name in enumerate(names):
        start, end = i * 86399 // n, (i + 1) * 86399 // n
        lines.append(
            f'  {name}: {{start: "{start // 3600:02d}:{start % 3600 // 60:02d}:{start % 60:02d}",'
            f' end: "{end // 3600:02d}:{end % 3600 // 60:02d}:{end % 60:02d}"}}'
        )
    if not names:
        lines[-1] = "sessions: {all: {start: '00:00', end: '23:59'}}"
    path = where / "hub-bundle-check.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _clip_references(
    schedule_files: list[Path], playlist_files: list[Path], folder: Path
) -> Iterator[tuple[str, Location]]:
    """(clip path as written, where it is written) for every clip the bundle names."""
    for path in schedule_files:
        doc, found = load_file(path, str(path.relative_to(folder)))
        if found or not isinstance(doc.data, dict):
            continue
        for i, campaign in enumerate(doc.data.get("campaigns") or []):
            if isinstance(campaign, dict) and isinstance(campaign.get("clip"), str):
                yield campaign["clip"], doc.where(("campaigns", i, "clip"))
    for path in playlist_files:
        doc, found = load_file(path, str(path.relative_to(folder)))
        if found or not isinstance(doc.data, dict):
            continue
        for i, clip in enumerate(doc.data.get("clips") or []):
            if isinstance(clip, str):  # the short form: a plain path
                yield clip, doc.where(("clips", i))
            elif isinstance(clip, dict) and isinstance(clip.get("file"), str):
                yield clip["file"], doc.where(("clips", i, "file"))


def check_bundle(folder: Path, settings: LibrarySettings | None = None) -> CheckedBundle:
    """Check a bundle folder and normalise its clips (into a temporary folder the result
    holds); every problem is collected, nothing is stored."""
    from playout.library.ingest import already_prepared, prepare
    from playout.library.probe import AudioError
    from playout.station_folder import load_station

    settings = settings or LibrarySettings()
    checked = CheckedBundle(folder)
    if not folder.is_dir():
        checked.problems.append(
            error(Location(str(folder)), "there is no such folder", "give the bundle's folder")
        )
        return checked
    schedule_files, playlist_files = find_files(folder)
    if not schedule_files:
        checked.problems.append(
            error(
                Location(f"{folder}/schedules"),
                "the bundle has no schedule files",
                "put its campaigns in schedules/*.yaml, its playlists in playlists/*.yaml and "
                "its clips in audio/province/ (see docs/province/campaigns.md)",
            )
        )
        return checked
    for path in schedule_files:
        doc, found = load_file(path, str(path.relative_to(folder)))
        checked.problems += found
        if isinstance(doc.data, dict):
            for key in STATION_KEYS:
                if key in doc.data:
                    checked.problems.append(
                        error(
                            doc.where((key,), key=True),
                            f"a campaign bundle has campaigns only, not '{key}'",
                            "each station keeps its own station, sessions and blackouts; "
                            "remove this part (campaigns name sessions, e.g. sessions: [morning])",
                        )
                    )
    checked.workdir = tempfile.TemporaryDirectory(prefix="playout-bundle-")
    work = Path(checked.workdir.name)
    stand_in = _stand_in_station(_referenced_sessions(schedule_files, folder), work)
    loaded = load_station(folder, [*schedule_files, *playlist_files, stand_in], capacity=False)
    for p in loaded.problems:
        if p.location.file.endswith(stand_in.name) or "outside its sessions" in p.message:
            continue  # about the stand-in sessions, not the bundle
        checked.problems.append(p)
    clips: dict[str, Location] = {}
    for clip, where in _clip_references(schedule_files, playlist_files, folder):
        if not clip.startswith(f"{PROVINCE_DIR}/") or not clip.lower().endswith(".wav"):
            checked.problems.append(
                error(
                    where,
                    f'the clip "{clip}" is '
                    + (
                        "not a WAV file"
                        if clip.startswith(f"{PROVINCE_DIR}/")
                        else f"not under audio/{PROVINCE_DIR}/"
                    ),
                    f"a bundle's clips live in audio/{PROVINCE_DIR}/ of its folder: import them "
                    f"there (playout library import FILE --into {PROVINCE_DIR}/<campaign>) and "
                    f"write them as {PROVINCE_DIR}/<campaign>/<file>.wav",
                )
            )
        else:
            clips.setdefault(clip, where)
    files = [*schedule_files, *playlist_files]
    if len(files) + len(clips) > MAX_FILES:
        checked.problems.append(
            error(Location(str(folder)), f"more than {MAX_FILES} files in one bundle")
        )
    if checked.errors:
        return checked
    for path in files:
        rel = path.relative_to(folder).as_posix()
        if (why := path_problem(rel)) is not None or path.stat().st_size > MAX_YAML_BYTES:
            checked.problems.append(
                error(
                    Location(rel),
                    f"this file cannot be sent to stations: {why or 'larger than 1 MiB'}",
                )
            )
            continue
        sha = sha256_of(path)
        checked.contents[sha] = path
        kind = "schedule" if rel.startswith("schedules/") else "playlist"
        checked.files.append(BundleFile(rel, sha, path.stat().st_size, kind))
    for clip, where in sorted(clips.items()):
        source = folder / "audio" / clip
        try:
            ready = already_prepared(source, settings)
            if ready is None:
                out = work / f"clip-{len(checked.contents)}.wav"
                ready = prepare(source, settings, out)
        except AudioError as exc:
            checked.problems.append(error(where, f'the clip "{clip}": {exc}'))
            continue
        size = ready.path.stat().st_size
        if size > MAX_CLIP_BYTES:
            checked.problems.append(error(where, f'the clip "{clip}" is larger than 200 MB'))
            continue
        sha = sha256_of(ready.path)
        checked.contents[sha] = ready.path
        figures = {
            "duration_ms": ready.duration_ms,
            "sample_rate": ready.sample_rate,
            "channels": ready.channels,
            "loudness_before": ready.loudness_before,
            "peak_before": ready.peak_before,
            "loudness_after": ready.loudness_after,
            "peak_after": ready.peak_after,
            "trimmed_ms": ready.trimmed_ms,
            "source_name": source.name,
            "source_sha256": sha256_of(source),
        }
        checked.files.append(BundleFile(f"audio/{clip}", sha, size, "clip", figures))
    return checked
