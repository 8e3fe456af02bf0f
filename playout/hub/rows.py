"""The rows a station uploads, validated one by one (a bad row is refused alone)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from playout.store.models import Status, Trigger

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time without its UTC offset")
    return value


def _in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"day {value} is outside {FIRST_DAY.year}-{LAST_DAY.year}")
    return value


Instant = Annotated[datetime, AfterValidator(_aware)]
Day = Annotated[date, AfterValidator(_in_range)]
Text = Annotated[str, Field(max_length=1000)]
Id = Annotated[str, Field(min_length=1, max_length=200)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
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
    run_id: int | None = None


class DayPlanIn(_Row):
    station_id: Id
    day: Day
    version: Count
    effective_from: Instant
    reason: Text
    level: int
    digest: Text
    plan_json: Annotated[str, Field(max_length=2_000_000)]
    _plan: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_post_init(self, _context: Any) -> None:
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

    def targets(self) -> dict[str, tuple[int, int]]:
        """campaign -> (planned airings, requested airings)"""
        data = self.plan()
        out: dict[str, list[int]] = {}
        for airing in data.get("airings", []):
            out.setdefault(str(airing["campaign"]), [0, 0])[0] += 1
        for campaign, n in dict(data.get("requested", {})).items():
            out.setdefault(str(campaign), [0, 0])[1] = int(n)
        return {c: (p, r) for c, (p, r) in out.items()}


class DaemonRunIn(_Row):
    station_id: Id
    id: int
    pid: int
    host: Text
    started_at: Instant
    last_seen: Instant
    stopped_at: Instant | None = None
    audio_output: Text


class AlertLevelIn(_Row):
    station_id: Id
    id: int
    level: int
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
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{where}: {first['msg']}") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"plan_json: {exc}") from None
    return row
