"""The rows a station uploads, validated one by one (a bad row is refused alone)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from playout.store.models import Status, Trigger

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time without its UTC offset")
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(f"a time in {value.year}, outside {FIRST_DAY.year}-{LAST_DAY.year}")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a NUL character (\\0) in a text")
    return value


def _in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"day {value} is outside {FIRST_DAY.year}-{LAST_DAY.year}")
    return value


Instant = Annotated[datetime, AfterValidator(_aware)]
Day = Annotated[date, AfterValidator(_in_range)]
Text = Annotated[str, Field(max_length=1000), AfterValidator(_no_nul)]
Id = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]  # an INTEGER column
Int64 = Annotated[int, Field(ge=0, le=2**63 - 1)]  # a BIGINT column (ids, sequence numbers)
NEAR_DAY = timedelta(days=3)  # an airing's times lie this close to its day
Sha = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class AiringIn(_Row):
    station_id: Id
    airing_id: Id
    day: Day
    campaign: Id
    session: Text
    clip: Text
    clip_sha256: Sha | None = None
    planned_start: Instant
    planned_ms: Count
    actual_start: Instant | None = None
    actual_end: Instant | None = None
    played_ms: Count
    status: Status
    reason: Text = ""
    trigger: Trigger
    operator: Text = ""
    run_id: Int64 | None = None

    @model_validator(mode="after")
    def _times_near_the_day(self) -> AiringIn:
        """A time far from the airing's day is a broken clock or a forged row (the dashboard
        places airings by it): refused."""
        noon = datetime.combine(self.day, time(12), tzinfo=UTC)
        for name in ("planned_start", "actual_start", "actual_end"):
            value = getattr(self, name)
            if value is not None and abs(value - noon) > NEAR_DAY:
                raise ValueError(f"{name} {value.isoformat()} is not near the day {self.day}")
        return self


class DayPlanIn(_Row):
    station_id: Id
    day: Day
    version: Count
    effective_from: Instant
    reason: Text
    level: Int32
    digest: Text
    plan_json: Annotated[str, Field(max_length=2_000_000)]
    _plan: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_post_init(self, _context: Any) -> None:
        if "\x00" in self.plan_json or "\\u0000" in self.plan_json:
            raise ValueError("a NUL character in the plan (PostgreSQL's JSON cannot hold it)")
        data = json.loads(self.plan_json)  # once: the targets and the stored plan use it
        if not isinstance(data, dict):
            raise ValueError("the plan is not a JSON object")
        self._plan = data

    def plan(self) -> dict[str, Any]:
        return self._plan

    def sessions(self) -> dict[str, tuple[datetime, datetime, list[datetime]]]:
        """session -> (first planned start, last planned end, every airing's end, sorted)"""
        out: dict[str, tuple[datetime, datetime, list[datetime]]] = {}
        for airing in self.plan().get("airings", []):
            try:
                start = datetime.fromisoformat(str(airing["start"]))
                end = datetime.fromisoformat(str(airing["end"]))
            except (KeyError, TypeError, ValueError):
                continue  # an airing the dashboard cannot place; its counts still stand
            if start.tzinfo is None or end.tzinfo is None:
                continue
            name = str(airing.get("session", ""))
            first, last, ends = out.get(name, (start, end, []))
            ends.append(end)
            out[name] = (min(first, start), max(last, end), ends)
        return {name: (lo, hi, sorted(e)) for name, (lo, hi, e) in out.items()}

    def titles(self) -> dict[str, str]:
        """campaign -> its title, for the campaigns of the day that have one (older stations
        send none)."""
        found = self.plan().get("titles", {})
        if not isinstance(found, dict) or len(found) > 1000:
            raise ValueError("titles: not an object of at most 1000 campaigns")
        out = {}
        for campaign, title in found.items():
            if not isinstance(title, str) or len(title) > 500 or len(campaign) > 200:
                raise ValueError(f"titles: the title of {str(campaign)[:80]!r} is not text")
            out[campaign] = title
        return out

    def targets(self) -> dict[str, tuple[int, int]]:
        """campaign -> (planned airings, requested airings)"""
        data = self.plan()
        out: dict[str, list[int]] = {}
        for airing in data.get("airings", []):
            out.setdefault(str(airing["campaign"]), [0, 0])[0] += 1
        for campaign, n in dict(data.get("requested", {})).items():
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < 2**31:
                raise ValueError(f"requested {str(n)[:40]} for {str(campaign)[:80]!r}")
            out.setdefault(str(campaign), [0, 0])[1] = n
        return {c: (p, r) for c, (p, r) in out.items()}


class DaemonRunIn(_Row):
    station_id: Id
    id: Int64
    pid: Int32
    host: Text
    started_at: Instant
    last_seen: Instant
    stopped_at: Instant | None = None
    audio_output: Text


class AlertLevelIn(_Row):
    station_id: Id
    id: Int64
    level: Int32
    since: Instant
    until: Instant | None = None
    reason: Text
    operator: Text


class ClipIn(_Row):
    sha256: Sha
    title: Text
    duration_ms: Count
    loudness_after: float
    peak_after: float
    imported_at: Instant


MODELS: dict[str, type[_Row]] = {
    "airings": AiringIn,
    "day_plans": DayPlanIn,
    "daemon_runs": DaemonRunIn,
    "alert_levels": AlertLevelIn,
    "clips": ClipIn,
}


def parse_row(table: str, data: Any) -> _Row:
    """The validated row, or ValueError with a short reason."""
    model = MODELS.get(table)
    if model is None:
        raise ValueError(f"unknown table {table!r}")
    try:
        row = model.model_validate(data)
        if isinstance(row, DayPlanIn):
            row.targets()
            row.titles()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{where}: {first['msg']}") from None
    except (ValueError, TypeError, KeyError, ArithmeticError, RecursionError) as exc:
        raise ValueError(f"plan_json: {exc}"[:500]) from None
    return row
