"""Load every schedule and playlist file, check each and all of them together.

``load_schedule`` never raises for bad input: it returns the merged :class:`Schedule` (or
``None``) and the complete list of problems, each with ``file:line:column`` and a hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from playout.i18n import msg
from playout.problems import Location, Problem, display_path, error
from playout.schedule.checks import check_schedule
from playout.schedule.errors import validate_model
from playout.schedule.model import (
    Blackout,
    Campaign,
    Playlist,
    PlaylistFile,
    Schedule,
    ScheduleFile,
    Session,
    Station,
)
from playout.schedule.values import PLAYLISTS_DIR, SCHEDULES_DIR
from playout.schedule.yamlsrc import Document, load_file

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult:
    schedule: Schedule | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        return self.schedule is not None and not self.errors


# --------------------------------------------------------------------------- file discovery


def find_files(root: Path, paths: Sequence[Path] = ()) -> tuple[list[Path], list[Path]]:
    """Schedule files and playlist files under ``paths`` (default: the station's folders).

    A file counts as a playlist when it lies in a folder named ``playlists``.
    """
    defaults = [root / SCHEDULES_DIR, root / PLAYLISTS_DIR]
    targets = list(paths) or [d for d in defaults if d.exists()]
    schedules: list[Path] = []
    playlists: list[Path] = []
    for target in targets:
        if target.is_dir():
            found = sorted(p for p in target.rglob("*") if p.suffix.lower() in YAML_SUFFIXES)
        else:
            found = [target]
        for f in found:
            (playlists if PLAYLISTS_DIR in f.parent.parts else schedules).append(f)
    return schedules, playlists


# --------------------------------------------------------------------------- pydantic errors


# --------------------------------------------------------------------------- loading


@dataclass
class _Parsed:
    doc: Document
    model: BaseModel


def load_schedule(root: Path, paths: Sequence[Path] = ()) -> LoadResult:
    """Read, validate and merge the schedule and playlist files of the station at ``root``."""
    problems: list[Problem] = []
    schedule_paths, playlist_paths = find_files(root, paths)
    if not schedule_paths:
        where = display_path(root / SCHEDULES_DIR, root)
        problems.append(
            error(
                Location(where),
                msg("no schedule files found"),
                msg(
                    "put the station's schedule in {where}/*.yaml "
                    "(see docs/operator/station-folder.md)",
                    where=where,
                ),
            )
        )
    schedules = list(_parse_all(schedule_paths, ScheduleFile, root, problems))
    playlists = list(_parse_all(playlist_paths, PlaylistFile, root, problems))
    if any(p.is_error for p in problems):
        return LoadResult(None, problems)
    schedule = _merge(schedules, playlists, playlist_paths, root, problems)
    if schedule is not None:
        problems.extend(check_schedule(schedule))
    return LoadResult(schedule if not any(p.is_error for p in problems) else None, problems)


def _parse_all(
    files: Iterable[Path], model: type[BaseModel], root: Path, problems: list[Problem]
) -> Iterable[_Parsed]:
    for path in files:
        doc, found = load_file(path, display_path(path, root))
        problems.extend(found)
        if found:
            continue
        parsed = validate_model(model, doc, problems)
        if parsed is not None:
            yield _Parsed(doc, parsed)


def _merge(
    schedules: list[_Parsed],
    playlists: list[_Parsed],
    playlist_paths: list[Path],
    root: Path,
    problems: list[Problem],
) -> Schedule | None:
    station: Station | None = None
    origins: dict[str, Location] = {}
    sessions: dict[str, Session] = {}
    blackouts: list[Blackout] = []
    campaigns: list[Campaign] = []
    for parsed in schedules:
        sf = parsed.model
        assert isinstance(sf, ScheduleFile)
        doc = parsed.doc
        if sf.station is not None:
            if station is not None:
                problems.append(
                    error(
                        doc.where(("station",), key=True),
                        msg("the station is defined twice"),
                        msg(
                            "it is already defined at {first}; keep one",
                            first=str(origins["station"]),
                        ),
                    )
                )
            else:
                station = sf.station
                origins["station"] = doc.where(("station",), key=True)
        for name, session in sf.sessions.items():
            where = doc.where(("sessions", name), key=True)
            if f"session:{name}" in origins:
                problems.append(
                    error(
                        where,
                        msg('the session "{name}" is defined twice', name=name),
                        msg(
                            "the first is at {first}; rename or remove one",
                            first=str(origins[f"session:{name}"]),
                        ),
                    )
                )
                continue
            origins[f"session:{name}"] = where
            sessions[name] = session
        for i, blackout in enumerate(sf.blackouts):
            origins[f"blackout:{len(blackouts)}"] = doc.where(("blackouts", i))
            blackouts.append(blackout)
        for i, campaign in enumerate(sf.campaigns):
            where = doc.where(("campaigns", i))
            key = f"campaign:{campaign.id}"
            if key in origins:
                problems.append(
                    error(
                        doc.where(("campaigns", i, "id")),
                        msg('the campaign id "{id}" is used twice', id=campaign.id),
                        msg(
                            "the first is at {first}; every campaign needs its own id",
                            first=str(origins[key]),
                        ),
                    )
                )
                continue
            origins[key] = where
            for field_name in ("playlist", "sessions", "at", "until", "frequency", "levels"):
                origins[f"{key}:{field_name}"] = doc.where(("campaigns", i, field_name))
            campaigns.append(campaign)
    if station is None:
        first = schedules[0].doc.file if schedules else SCHEDULES_DIR
        problems.append(
            error(
                Location(first, 1, 1),
                msg("no station is defined"),
                msg(
                    "add a 'station:' section with id, name and timezone "
                    "(see docs/operator/station-folder.md)"
                ),
            )
        )
        return None
    merged_playlists: dict[str, Playlist] = {}
    for parsed in playlists:
        pf = parsed.model
        assert isinstance(pf, PlaylistFile)
        pid = Path(parsed.doc.file).stem
        key = f"playlist:{pid}"
        if key in origins:
            problems.append(
                error(
                    Location(parsed.doc.file, 1, 1),
                    msg('a second playlist is named "{name}"', name=pid),
                    msg(
                        "the first is {first}; playlist names come from file names",
                        first=origins[key].file,
                    ),
                )
            )
            continue
        origins[key] = Location(parsed.doc.file, 1, 1)
        for i, _clip in enumerate(pf.clips):
            origins[f"clip:{pid}:{i}"] = parsed.doc.where(("clips", i, "file"))
        merged_playlists[pid] = Playlist(pid, pf.title, pf.rotation, tuple(pf.clips))
    ordered_sessions = dict(sorted(sessions.items(), key=lambda kv: (kv[1].start, kv[0])))
    return Schedule(
        station=station,
        sessions=ordered_sessions,
        blackouts=tuple(blackouts),
        campaigns=tuple(campaigns),
        playlists=merged_playlists,
        origins=origins,
    )


def read_station(root: Path) -> Station | None:
    """The station section of the schedule files, even when other parts have errors."""
    schedule_paths, _ = find_files(root)
    for path in schedule_paths:
        doc, found = load_file(path, display_path(path, root))
        if found or not isinstance(doc.data, dict) or "station" not in doc.data:
            continue
        try:
            return Station.model_validate(doc.data["station"])
        except ValidationError:
            return None
    return None
