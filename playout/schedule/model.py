"""The validated schedule model: what operators write in schedules/ and playlists/.

The file-level models (:class:`ScheduleFile`, :class:`PlaylistFile`) mirror the YAML keys one
to one and reject unknown keys. :class:`Schedule` is the merged, cross-checked result that the
planner and the daemon use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from playout.i18n import msg
from playout.problems import Location
from playout.schedule.types import (
    ALL_DAYS,
    Date,
    Duration,
    TimeOfDay,
    Weekdays,
    duration_between,
)

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
STATION_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$"
URL_PATTERN = r"^https?://[^\s/]+(/\S*)?$"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


class Rotation(StrEnum):
    IN_ORDER = "in_order"
    SHUFFLE = "shuffle"
    WEIGHTED = "weighted"


class Priority(StrEnum):
    """Who keeps a time when two airings want it (higher keeps it, lower moves)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Count = Annotated[int, Field(ge=0, le=200)]

_S = timedelta(seconds=1)
_MIN = timedelta(minutes=1)
_H = timedelta(hours=1)
_D = timedelta(days=1)
ClipLength = Annotated[Duration, duration_between(timedelta(0), 6 * _H)]
Latency = Annotated[Duration, duration_between(timedelta(0), 2 * _S)]
CueAhead = Annotated[Duration, duration_between(timedelta(0), _MIN)]
LateGrace = Annotated[Duration, duration_between(timedelta(0), 6 * _H)]
DeadRestart = Annotated[Duration, duration_between(_S, _D)]
DayLength = Annotated[Duration, duration_between(timedelta(0), _D)]
RampEvery = Annotated[Duration, duration_between(_D, timedelta(days=366))]


class LibrarySettings(_Strict):
    """How clips are prepared for air by ``playout library import``."""

    loudness: Annotated[float, Field(ge=-36, le=-6)] = -16.0  # LUFS integrated (EBU R128)
    true_peak: Annotated[float, Field(ge=-9, le=0)] = -1.0  # dBTP ceiling
    tolerance: Annotated[float, Field(gt=0, le=6)] = 1.0  # LU allowed off target by 'check'
    silence_threshold: Annotated[float, Field(ge=-90, le=-20)] = -50.0  # dBFS
    min_duration: ClipLength = timedelta(seconds=1)  # 0 - 6h
    max_duration: ClipLength = timedelta(minutes=30)  # 0 - 6h


class AudioSettings(_Strict):
    """Where the daemon plays and how it times airings."""

    output: str = "pulse"  # libvlc audio output module: pulse, alsa, directsound, afile, ...
    device: str | None = None  # a device of that output (see 'playout devices')
    latency: Latency = timedelta(milliseconds=5)  # start this much early (output buffering)
    cue_ahead: CueAhead = timedelta(seconds=2)  # open and parse the clip this much early
    late_grace: LateGrace = timedelta(minutes=5)  # an airing later than this is logged missed
    allow_unapproved: bool = False  # air a catalogued clip whose file changed since import
    output_dead_restart: DeadRestart = timedelta(minutes=10)  # then the watchdog lets it restart


SyncEvery = Annotated[Duration, duration_between(10 * _S, _D)]


class HubSettings(_Strict):
    """Where the station sends its as-run log (``playout sync``; the daemon in the background)."""

    url: Annotated[str, Field(pattern=URL_PATTERN, max_length=500)]
    token_file: Annotated[str, Field(min_length=1)]  # relative to the station folder
    every: SyncEvery = timedelta(minutes=5)  # 10s - 1d
    campaigns: Literal["auto", "review"] = "auto"  # province bundles: apply, or wait for accept


class ReportSettings(_Strict):
    """How the station's report reads as an administrative document (Decree 30/2020/NĐ-CP)."""

    superior: str | None = None  # the body above the station; default "UBND <area>"
    number: str = "BC"  # the number line: "Số: ......../BC"
    place: str | None = None  # in the issue line; default: the area's place name
    prepared_by_title: str | None = None  # default "Người lập biểu"
    prepared_by: str = ""  # who prepares it (empty: a line to write the name by hand)
    head_title: str | None = None  # default "Thủ trưởng đơn vị"
    head_name: str = ""  # who signs for the station


class Station(_Strict):
    id: Annotated[str, Field(pattern=STATION_ID_PATTERN, max_length=80)]
    name: Annotated[str, Field(min_length=1)]
    timezone: str = DEFAULT_TIMEZONE
    area: str | None = Field(None, validation_alias=AliasChoices("area", "district"))
    province: str | None = None
    fallback_clip: str | None = None
    database: str | None = None  # path, relative to the station folder; default: data dir
    library: LibrarySettings = Field(default_factory=LibrarySettings)
    audio: AudioSettings = Field(default_factory=AudioSettings)
    hub: HubSettings | None = None
    report: ReportSettings = Field(default_factory=ReportSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        import zoneinfo

        from playout.problems import did_you_mean

        try:
            ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            hint = did_you_mean(value, zoneinfo.available_timezones())
            raise ValueError(
                msg(
                    '"{value}" is not a known time zone (e.g. "{example}"); {hint}',
                    value=value,
                    example=DEFAULT_TIMEZONE,
                    hint=hint,
                )
            ) from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Session(_Strict):
    """A broadcast session (buổi phát thanh): the only times spots may air."""

    start: TimeOfDay
    end: TimeOfDay
    days: Weekdays = ALL_DAYS
    max_spots: DayLength | None = None
    label: str = ""


class Blackout(_Strict):
    """A fixed programme (e.g. the VOV relay) that is never interrupted."""

    start: TimeOfDay
    end: TimeOfDay
    label: str = ""
    days: Weekdays = ALL_DAYS
    from_: Date | None = Field(default=None, alias="from")
    until: Date | None = None

    def active_on(self, day: date) -> bool:
        if day.weekday() not in self.days:
            return False
        if self.from_ is not None and day < self.from_:
            return False
        return not (self.until is not None and day > self.until)


class LevelOverride(_Strict):
    per_day: Count


class FrequencyStep(_Strict):
    from_: Date = Field(alias="from")
    per_day: Count


class Ramp(_Strict):
    """per_day = min(max, start + step * (whole periods of ``every`` since the campaign began))."""

    start: Count
    step: Annotated[int, Field(ge=-50, le=50)] = 1
    every: RampEvery = timedelta(days=7)
    max: Count | None = None


class Campaign(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN, max_length=60)]
    title: str = ""
    playlist: str | None = None
    clip: str | None = None
    from_: Date = Field(alias="from")
    until: Date | None = None
    days: Weekdays = ALL_DAYS
    sessions: list[str] | None = None
    min_gap: DayLength = timedelta(0)
    per_day: Count | None = None
    frequency: list[FrequencyStep] | None = None
    ramp: Ramp | None = None
    at: list[TimeOfDay] | None = None
    levels: dict[Annotated[int, Field(ge=2, le=9)], LevelOverride] = Field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    make_good: bool = True

    def active_on(self, day: date) -> bool:
        if day < self.from_ or (self.until is not None and day > self.until):
            return False
        return day.weekday() in self.days


class ScheduleFile(_Strict):
    station: Station | None = None
    sessions: dict[str, Session] = Field(default_factory=dict)
    blackouts: list[Blackout] = Field(default_factory=list)
    campaigns: list[Campaign] = Field(default_factory=list)


class PlaylistClip(_Strict):
    file: Annotated[str, Field(min_length=1)]
    title: str = ""
    weight: Annotated[int, Field(ge=1, le=100)] = 1

    @model_validator(mode="before")
    @classmethod
    def _plain_path(cls, value: Any) -> Any:
        """``- bluezone/bluezone-ngan.wav`` is short for ``- file: bluezone/bluezone-ngan.wav``."""
        return {"file": value} if isinstance(value, str) else value


class PlaylistFile(_Strict):
    title: str = ""
    rotation: Rotation = Rotation.IN_ORDER
    clips: Annotated[list[PlaylistClip], Field(min_length=1)]


@dataclass(frozen=True)
class Playlist:
    id: str
    title: str
    rotation: Rotation
    clips: tuple[PlaylistClip, ...]


@dataclass(frozen=True)
class Schedule:
    """Everything the planner needs, merged from all files and cross-checked."""

    station: Station
    sessions: dict[str, Session]
    blackouts: tuple[Blackout, ...]
    campaigns: tuple[Campaign, ...]
    playlists: dict[str, Playlist]
    origins: dict[str, Location] = field(default_factory=dict, compare=False)

    def campaign_titles(self) -> dict[str, str]:
        """campaign id -> its title, for the campaigns that have one."""
        return {c.id: c.title for c in self.campaigns if c.title}

    def campaign_clips(self, campaign: Campaign) -> Playlist:
        """The clips a campaign rotates through (a single ``clip`` is a playlist of one)."""
        if campaign.playlist is not None:
            return self.playlists[campaign.playlist]
        assert campaign.clip is not None
        return Playlist(
            id=f"{campaign.id}:clip",
            title=campaign.title,
            rotation=Rotation.IN_ORDER,
            clips=(PlaylistClip(file=campaign.clip, title=campaign.title),),
        )

    def clip_files(self) -> dict[str, Location]:
        """Every audio file the schedule refers to, with where it is first named."""
        found: dict[str, Location] = {}
        for pl in self.playlists.values():
            for i, clip in enumerate(pl.clips):
                found.setdefault(clip.file, self.origins.get(f"clip:{pl.id}:{i}", Location("")))
        for c in self.campaigns:
            if c.clip is not None:
                found.setdefault(c.clip, self.origins.get(f"campaign:{c.id}", Location("")))
        if self.station.fallback_clip:
            found.setdefault(self.station.fallback_clip, self.origins.get("station", Location("")))
        return found
