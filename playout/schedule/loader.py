"""Load every schedule and playlist file, check each and all of them together.

``load_schedule`` never raises for bad input: it returns the merged :class:`Schedule` (or
``None``) and the complete list of problems, each with ``file:line:column`` and a hint.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from playout.problems import Location, Problem, did_you_mean, display_path, error, warning
from playout.schedule.model import (
    ID_PATTERN,
    Blackout,
    Campaign,
    Playlist,
    PlaylistFile,
    Schedule,
    ScheduleFile,
    Session,
    Station,
)
from playout.schedule.types import WEEKDAY_NAMES, format_date, format_time
from playout.schedule.yamlsrc import Document, PathKey, load_file

SCHEDULES_DIR = "schedules"
PLAYLISTS_DIR = "playlists"
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


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, dict, tuple, frozenset, set):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int) or part not in _field_names(model):
            continue  # a list index or a dict key: same model
        field_ = _field_by_name(model, str(part))
        models = _unwrap(field_.annotation) if field_ is not None else []
        model = models[0] if models else None
    return model


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _field_by_name(model: type[BaseModel], name: str) -> Any:
    for fname, f in model.model_fields.items():
        if (f.alias or fname) == name:
            return f
    return None


def _shape(model: type[BaseModel] | None) -> str:
    """How a value of ``model`` is written, e.g. ``{file: ..., title: ..., weight: ...}``."""
    if model is None:
        return ""
    fields = model.model_fields
    names = [f.alias or n for n, f in fields.items() if f.is_required()]
    names += [f.alias or n for n, f in fields.items() if not f.is_required()]
    shown = ", ".join(f"{n}: ..." for n in names[:4]) + (", ..." if len(names) > 4 else "")
    return f"write it as {{{shown}}}"


def _path_text(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _friendly(err: Any, root: type[BaseModel]) -> tuple[str, str]:
    kind = err["type"]
    value = err.get("input")
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])), ""
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, got {shown}", ""
    if kind in ("float_parsing", "float_type"):
        return f"expected a number, got {shown}", ""
    if kind in ("bool_parsing", "bool_type"):
        return f"expected yes or no, got {shown}", "write true or false"
    if kind in ("string_type",):
        return f"expected text, got {shown}", "put the text in quotes"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return (
                f"{shown} is not a valid id",
                'use lower-case letters, digits, "-" and "_", e.g. "bluezone"',
            )
        return (
            f"{shown} is not a valid station id",
            'use lower-case words joined by "/", e.g. "long-an/tan-an"',
        )
    if kind == "string_too_short":
        return "must not be empty", ""
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)", ""
    if kind == "greater_than_equal":
        return f"{shown} is too small: it must be at least {ctx.get('ge')}", ""
    if kind == "less_than_equal":
        return f"{shown} is too large: it must be at most {ctx.get('le')}", ""
    if kind == "enum":
        expected = str(ctx.get("expected", ""))
        choices = [c.strip().strip("'") for c in expected.replace(" or ", ",").split(",")]
        return f"{shown} is not one of: {expected}", did_you_mean(str(value), choices)
    if kind == "list_type":
        return f"expected a list, got {shown}", "write a list as [a, b] or as lines starting '- '"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected keys and values (a mapping), got {shown}", _shape(
            _model_at(root, err["loc"])
        )
    if kind == "too_short":
        return "the list is empty", "give at least one item"
    if kind == "missing":
        name = err["loc"][-1] if err["loc"] else "?"
        return f'the key "{name}" is missing', _shape(_model_at(root, err["loc"][:-1]))
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        model = _model_at(root, err["loc"][:-1])
        choices = _field_names(model) if model else []
        return f'unknown key "{name}"', did_you_mean(name, choices)
    return str(err["msg"]), ""


def _validate(model: type[BaseModel], doc: Document, problems: list[Problem]) -> BaseModel | None:
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        problems.append(
            error(doc.where(()), "the file must hold keys and values (a mapping) at the top")
        )
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc: PathKey = tuple(err["loc"])
            kind = err["type"]
            # pydantic adds "[key]" parts for dict keys; keep the path as written
            if kind == "extra_forbidden":
                where = doc.where(loc, key=True)
            elif kind == "missing":
                where = doc.where(loc[:-1])
            else:
                where = doc.where(loc)
            message, hint = _friendly(err, model)
            # for a missing or unknown key, name the mapping it is (not) in
            owner = loc[:-1] if kind in ("missing", "extra_forbidden") else loc
            prefix = _path_text([p for p in owner if p != "[key]"])
            if prefix:
                message = f"{prefix}: {message}"
            problems.append(error(where, message, hint))
        return None


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
                "no schedule files found",
                f"put the station's schedule in {where}/*.yaml (see the README)",
            )
        )
    schedules = list(_parse_all(schedule_paths, ScheduleFile, root, problems))
    playlists = list(_parse_all(playlist_paths, PlaylistFile, root, problems))
    if any(p.is_error for p in problems):
        return LoadResult(None, problems)
    schedule = _merge(schedules, playlists, playlist_paths, root, problems)
    if schedule is not None:
        problems.extend(check_schedule(schedule, schedules))
    return LoadResult(schedule if not any(p.is_error for p in problems) else None, problems)


def _parse_all(
    files: Iterable[Path], model: type[BaseModel], root: Path, problems: list[Problem]
) -> Iterable[_Parsed]:
    for path in files:
        doc, found = load_file(path, display_path(path, root))
        problems.extend(found)
        if found:
            continue
        parsed = _validate(model, doc, problems)
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
                        "the station is defined twice",
                        f"it is already defined at {origins['station']}; keep one",
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
                        f'the session "{name}" is defined twice',
                        f"the first is at {origins[f'session:{name}']}; rename or remove one",
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
                        f'the campaign id "{campaign.id}" is used twice',
                        f"the first is at {origins[key]}; every campaign needs its own id",
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
                "no station is defined",
                "add a 'station:' section with id, name and timezone (see the README)",
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
                    f'a second playlist is named "{pid}"',
                    f"the first is {origins[key].file}; playlist names come from file names",
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


# --------------------------------------------------------------------------- cross-checks


def _day_names(days: Iterable[int]) -> str:
    return ", ".join(WEEKDAY_NAMES[d] for d in sorted(days))


def check_schedule(schedule: Schedule, files: Sequence[_Parsed] = ()) -> list[Problem]:
    """Rules that span several entries or files. Returns problems in file order."""
    problems: list[Problem] = []
    o = schedule.origins

    def at(key: str) -> Location:
        return o.get(key, Location(""))

    import re

    for name, s in schedule.sessions.items():
        where = at(f"session:{name}")
        if not re.match(ID_PATTERN, name):
            problems.append(
                error(
                    where,
                    f'"{name}" is not a valid session name',
                    'use lower-case letters, digits, "-" and "_", e.g. "morning"',
                )
            )
        if s.end <= s.start:
            problems.append(
                error(
                    where,
                    f'the session "{name}" ends ({format_time(s.end)}) before it starts '
                    f"({format_time(s.start)})",
                    "sessions cannot cross midnight; split it into two sessions",
                )
            )
        if s.max_spots is not None and s.max_spots.total_seconds() <= 0:
            problems.append(error(where, f'session "{name}": max_spots must be more than 0'))
    names = list(schedule.sessions)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            sa, sb = schedule.sessions[a], schedule.sessions[b]
            common = sa.days & sb.days
            if common and sa.start < sb.end and sb.start < sa.end:
                problems.append(
                    error(
                        at(f"session:{b}"),
                        f'the sessions "{a}" ({format_time(sa.start)}-{format_time(sa.end)}) and '
                        f'"{b}" ({format_time(sb.start)}-{format_time(sb.end)}) overlap on '
                        f"{_day_names(common)}",
                        "change their times or their days so that they do not overlap",
                    )
                )
    for i, bo in enumerate(schedule.blackouts):
        where = at(f"blackout:{i}")
        if bo.end <= bo.start:
            problems.append(
                error(
                    where,
                    f"the blackout {bo.label!r} ends ({format_time(bo.end)}) before it starts "
                    f"({format_time(bo.start)})",
                )
            )
        if bo.from_ and bo.until and bo.until < bo.from_:
            problems.append(error(where, "the blackout's 'until' date is before its 'from' date"))
    for c in schedule.campaigns:
        problems.extend(_check_campaign(schedule, c, at))
    return problems


def _check_campaign(schedule: Schedule, c: Campaign, at: Any) -> list[Problem]:
    problems: list[Problem] = []
    key = f"campaign:{c.id}"
    where = at(key)
    name = f'campaign "{c.id}"'
    if c.until is not None and c.until < c.from_:
        problems.append(
            error(
                at(f"{key}:until"),
                f"{name} ends ({format_date(c.until)}) before it starts ({format_date(c.from_)})",
            )
        )
    if (c.playlist is None) == (c.clip is None):
        problems.append(
            error(
                where,
                f"{name} needs exactly one of 'playlist' or 'clip'",
                "name a playlist from playlists/, or one audio file with 'clip'",
            )
        )
    elif c.playlist is not None and c.playlist not in schedule.playlists:
        problems.append(
            error(
                at(f"{key}:playlist"),
                f'{name} uses the playlist "{c.playlist}", which does not exist',
                did_you_mean(c.playlist, schedule.playlists)
                or f"create playlists/{c.playlist}.yaml",
            )
        )
    ways = [k for k in ("per_day", "frequency", "ramp", "at") if getattr(c, k) is not None]
    if len(ways) != 1:
        problems.append(
            error(
                where,
                f"{name} needs exactly one of per_day, frequency, ramp or at"
                + (f" (it has {', '.join(ways)})" if ways else ""),
                "per_day: a fixed count; frequency: counts that step by date; "
                "ramp: a count that grows; at: fixed times",
            )
        )
    for s in c.sessions or []:
        if s not in schedule.sessions:
            problems.append(
                error(
                    at(f"{key}:sessions"),
                    f'{name} names the session "{s}", which does not exist',
                    did_you_mean(s, schedule.sessions),
                )
            )
    if c.frequency:
        dates = [step.from_ for step in c.frequency]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            problems.append(
                error(
                    at(f"{key}:frequency"),
                    f"{name}: the frequency steps must be in date order, each on its own date",
                )
            )
        elif dates[0] > c.from_:
            problems.append(
                warning(
                    at(f"{key}:frequency"),
                    f"{name} starts on {format_date(c.from_)} but its first frequency step is "
                    f"on {format_date(dates[0])}: nothing airs before that",
                )
            )
    if c.at is not None:
        if len(set(c.at)) != len(c.at):
            problems.append(
                error(at(f"{key}:at"), f"{name}: the same time is listed twice in 'at'")
            )
        allowed = c.sessions or list(schedule.sessions)
        outside = [
            t
            for t in sorted(c.at)
            if not any(
                s in schedule.sessions
                and schedule.sessions[s].start <= t < schedule.sessions[s].end
                for s in allowed
            )
        ]
        if outside:  # one warning for the campaign, however long its list
            shown = ", ".join(format_time(t) for t in outside[:5])
            more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
            problems.append(
                warning(
                    at(f"{key}:at"),
                    f"{name}: {shown}{more} "
                    f"{'is' if len(outside) == 1 else 'are'} outside its sessions; "
                    f"{'it' if len(outside) == 1 else 'they'} will be moved to a later "
                    "session that day, or not aired",
                    "choose times inside a session",
                )
            )
        if c.levels:
            problems.append(
                error(
                    at(f"{key}:levels"),
                    f"{name}: 'levels' changes per_day, but this campaign uses fixed 'at' times",
                    "use per_day, frequency or ramp with levels",
                )
            )
    return problems
