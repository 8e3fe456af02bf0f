"""A station folder: schedules/, playlists/ and audio/ checked together.

This is where the layers meet for the commands and the daemon: the schedule is loaded and
validated, every clip it names is found in the audio library, decoded, its duration measured and
(when a catalog is given) compared with the catalog, and the planner is run once to warn about
what will not fit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import platformdirs

from playout.i18n import Msg, Text, msg
from playout.library import AudioError, ClipChecker, ClipPathError, resolve_clip
from playout.library.catalog import Catalog, import_one
from playout.library.paths import AUDIO_DIR
from playout.library.verify import compare_with_catalog, imported_as
from playout.planning import capacity_warnings
from playout.problems import Location, Problem, error, warning
from playout.schedule import Schedule, Station, load_schedule
from playout.schedule.loader import read_station
from playout.schedule.model import LibrarySettings
from playout.schedule.values import PLAYLISTS_DIR, SCHEDULES_DIR


def database_path(root: Path, station: Station | None, override: Path | None = None) -> Path:
    """``--db``/``PLAYOUT_DB``, else ``station.database`` (relative to the station folder),
    else ``<user data dir>/playout/<station id>.db``."""
    if override is not None:
        return override
    if station is not None and station.database:
        return root / station.database
    name = station.id.replace("/", "__") if station is not None else "playout"
    return platformdirs.user_data_path("playout") / f"{name}.db"


@dataclass
class LoadedStation:
    root: Path
    schedule: Schedule | None
    durations: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def library(self) -> Path:
        return self.root / AUDIO_DIR

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return self.schedule is not None and not self.errors


def load_station(
    root: Path,
    paths: Sequence[Path] = (),
    *,
    checker: ClipChecker | None = None,
    catalog: Catalog | None = None,
    capacity: bool = True,
) -> LoadedStation:
    """Load and check everything; never raises for bad input (see ``problems``)."""
    result = load_schedule(root, paths)
    loaded = LoadedStation(root, result.schedule, problems=list(result.problems))
    schedule = result.schedule
    if schedule is None:
        return loaded
    checker = checker or ClipChecker()
    found: dict[str, Path | ClipPathError] = {}  # each clip's file, or why there is none
    for ref in schedule.clip_files():
        try:
            found[ref] = resolve_clip(loaded.library, ref)
        except ClipPathError as exc:
            found[ref] = exc
    checker.prefetch([p for p in found.values() if isinstance(p, Path)])
    uncatalogued: list[tuple[str, Text]] = []
    for ref, where in schedule.clip_files().items():
        try:
            path = found[ref]
            if isinstance(path, ClipPathError):
                raise path
            loaded.durations[ref] = checker.check(path).duration_ms
        except (ClipPathError, AudioError) as exc:
            hint = exc.hinted
            copies = catalog.imported_as(PurePosixPath(ref).name) if catalog is not None else []
            if isinstance(exc, ClipPathError) and copies:  # the name it had before import
                hint = imported_as(copies[0])
            loaded.problems.append(error(where, _clip(ref, exc.said), hint))
            continue
        if catalog is None:
            continue
        settings = schedule.station.library
        for issue in compare_with_catalog(ref, path, loaded.durations[ref], catalog, settings):
            if issue.uncatalogued:
                uncatalogued.append((ref, issue.hinted))
                continue
            if issue.changed and schedule.station.audio.allow_unapproved:
                hint = msg("it airs (audio.allow_unapproved is set), logged with its own sha256")
                loaded.problems.append(warning(where, _clip(ref, issue.said), hint))
                continue
            loaded.problems.append(error(where, _clip(ref, issue.said), issue.hinted))
    if uncatalogued:
        names = [ref for ref, _ in uncatalogued]
        more = " …" if len(names) > 5 else ""
        hints: Text = ""
        for ref, hint in uncatalogued[:5]:
            one = msg("{ref}: {hint}", ref=ref, hint=hint)
            hints = msg("{first}; {then}", first=hints, then=one) if hints else one
        loaded.problems.append(
            warning(
                schedule.origins.get("station", Location(AUDIO_DIR)),
                msg(
                    "{n} clip(s) are not in the catalog, so they are not verified or normalised "
                    "(they air at their own loudness): {names}{more}",
                    n=len(names),
                    names=", ".join(names[:5]),
                    more=more,
                ),
                msg("{hints}{more}", hints=hints, more=more),
            )
        )
    if loaded.errors:
        loaded.schedule = None
        return loaded
    if capacity:
        loaded.problems.extend(capacity_warnings(schedule, loaded.durations))
    return loaded


def import_file(
    root: Path, catalog: Catalog, source: Path, *, into: str, title: str | None, now: datetime
) -> dict[str, Any]:
    """``playout library import`` of one file into the station folder ``root``, with the
    library settings ``station.yaml`` holds now (the daemon and the command both call this)."""
    station = read_station(root)
    settings = station.library if station is not None else LibrarySettings()
    return import_one(
        catalog, root / AUDIO_DIR, source, into=into, title=title, settings=settings, now=now
    )


def validation(loaded: LoadedStation, root: str) -> dict[str, Any]:
    """What ``playout validate`` prints, as JSON values (the daemon answers it so)."""
    schedule = loaded.schedule
    return {
        "root": root,
        "problems": [p.as_dict() for p in loaded.problems],
        "station": schedule.station.id if schedule is not None else None,
        "sessions": len(schedule.sessions) if schedule is not None else 0,
        "campaigns": len(schedule.campaigns) if schedule is not None else 0,
        "clips": len(loaded.durations),
    }


def _clip(ref: str, said: Text) -> Msg:
    return msg('clip "{ref}": {message}', ref=ref, message=said)


def files_digest(root: Path | None) -> str:
    """A short version of the schedule: a digest of the files' names and contents."""
    if root is None:
        return ""
    digest = hashlib.sha256()
    for folder in (SCHEDULES_DIR, PLAYLISTS_DIR):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                try:
                    digest.update(path.read_bytes())
                except OSError:
                    digest.update(b"?")
    return digest.hexdigest()[:12]
