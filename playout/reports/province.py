"""The province's monthly report: every station's figures from the hub, per area, station
and campaign, and the stations that sent nothing for the period ("không có dữ liệu", which is
not the same as 0 airings). Rendered by the same document writers as the station report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from playout.reports.data import CampaignFigures, Counts
from playout.reports.document import Document, Sheet
from playout.reports.tables import COUNT_COLUMNS, Cell, Table, count_cells
from playout.reports.text import Words, area_word, percent
from playout.schedule.model import ReportSettings
from playout.schedule.types import format_date, format_duration


@dataclass(frozen=True)
class NationalClip:
    """A clip the province published, as one station aired it (found by its sha256: exactly
    the province's audio)."""

    bundle: str
    path: str
    sha256: str
    aired: int
    played_ms: int


@dataclass
class StationFigures:
    station_id: str
    name: str
    area: str
    timezone: str
    last_contact: datetime | None
    campaigns: list[CampaignFigures] = field(default_factory=list)
    national: list[NationalClip] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return bool(self.campaigns)


@dataclass
class Totals:
    counts: Counts = field(default_factory=Counts)
    target: int = 0
    target_met: int = 0
    stations: int = 0
    with_data: int = 0

    def add(self, f: CampaignFigures) -> None:
        for name in (
            "planned", "completed", "interrupted", "failed", "missed", "skipped", "to_come",
        ):  # fmt: skip
            setattr(self.counts, name, getattr(self.counts, name) + getattr(f.counts, name))
        self.counts.played_ms += f.counts.played_ms
        self.target += f.target
        self.target_met += f.target_met

    @property
    def share(self) -> float:
        return self.target_met / self.target if self.target else 1.0


@dataclass
class ProvinceReport:
    province: str
    area: str  # "" for the whole province
    first: date
    last: date
    issued: date
    prepared_by: str
    stations: list[StationFigures]
    agency: str = ""  # the issuing department (default: the words' "Sở ...")
    settings: ReportSettings = field(default_factory=ReportSettings)

    def by_area(self) -> dict[str, Totals]:
        out: dict[str, Totals] = {}
        for s in self.stations:
            t = out.setdefault(s.area, Totals())
            t.stations += 1
            t.with_data += s.has_data
            for f in s.campaigns:
                t.add(f)
        return dict(sorted(out.items()))

    def by_campaign(self) -> dict[str, Totals]:
        out: dict[str, Totals] = {}
        for s in self.stations:
            for f in s.campaigns:
                t = out.setdefault(f.title, Totals())
                t.stations += 1
                t.add(f)
        return dict(sorted(out.items()))

    @property
    def aired(self) -> int:
        return sum(f.counts.completed for s in self.stations for f in s.campaigns)

    @property
    def played_ms(self) -> int:
        return sum(f.counts.played_ms for s in self.stations for f in s.campaigns)


def _contact(s: StationFigures, w: Words) -> str:
    if s.last_contact is None:
        return w["never"]
    local = s.last_contact.astimezone(ZoneInfo(s.timezone))
    return f"{format_date(local.date())} {local:%H:%M}"


def _totals_cells(t: Totals) -> list[Cell]:
    return [*count_cells(t.counts), t.target, percent(t.share, t.target)]


def province_tables(report: ProvinceReport, w: Words) -> tuple[list[Table], Table, Table]:
    counts = COUNT_COLUMNS
    area = area_word([s.area for s in report.stations])  # the word follows the data
    areas = Table(
        "by_area",
        w[f"by_{area}"],
        [w[h] for h in (area, "stations", "with_data", *counts, "target", "share")],
        [
            [d or "-", t.stations, t.with_data, *_totals_cells(t)]
            for d, t in report.by_area().items()
        ],
    )
    campaigns = Table(
        "by_campaign",
        w["by_campaign"],
        [w[h] for h in ("campaign", "stations", *counts, "target", "share")],
        [[w.title(c, c), t.stations, *_totals_cells(t)] for c, t in report.by_campaign().items()],
    )
    rows: list[list[Cell]] = []
    for s in report.stations:
        for f in s.campaigns:
            rows.append(
                [
                    s.area or "-",
                    s.name or s.station_id,
                    w.title(f.campaign, f.title),
                    *count_cells(f.counts),
                    f.days_aired,
                    f.days_below,
                    f.target,
                    percent(f.share, f.target),
                    _contact(s, w),
                ]
            )
    heads = (area, "station_name", "campaign", *counts, "days_aired", "days_below")
    stations = Table(
        "by_station",
        w["by_station"],
        [w[h] for h in (*heads, "target", "share", "last_contact")],
        rows,
    )
    silent = Table(
        "no_data",
        w["no_data_title"],
        [w[h] for h in (area, "station_name", "status", "last_contact")],
        [
            [s.area or "-", s.name or s.station_id, w["no_data"], _contact(s, w)]
            for s in report.stations
            if not s.has_data
        ],
    )
    return [areas, campaigns], stations, silent


def province_document(report: ProvinceReport, lang: str) -> Document:
    w = Words(lang)
    summary, stations, silent = province_tables(report, w)
    where = report.area or report.province
    with_data = sum(s.has_data for s in report.stations)
    settings = report.settings
    above = settings.superior or f"{'UBND ' if lang == 'vi' else ''}{report.province}".strip()
    return Document(
        w=w,
        above=above,
        unit=report.agency or w["department"],
        title=w["province_title"],
        subject=w["province_subject"].format(where=where) if where else "",
        period=w.period(report),
        issued=w.issued(report),
        summary=w["province_summary"].format(
            stations=len(report.stations),
            with_data=with_data,
            aired=report.aired,
            airtime=w.airtime(report.played_ms),
        ),
        sheets=[
            # one table a sheet: each sheet's columns fit its own table when printed
            Sheet(w["sheet_summary"], summary[:1]),
            Sheet(w["sheet_campaigns"], summary[1:]),
            Sheet(w["sheet_stations"], [stations]),
            Sheet(w["sheet_no_data"], [silent]),
            *_national_sheet(report, w),
        ],
        prepared_by=report.prepared_by,
        number=w["number"].format(prefix=settings.number),
        signers=(
            settings.prepared_by_title or w["prepared_by"],
            settings.head_title or w["head_department"],
        ),
        head_name=settings.head_name,
    )


def _national_sheet(report: ProvinceReport, w: Words) -> list[Sheet]:
    rows: list[list[Cell]] = [
        [
            s.area or "-",
            s.name or s.station_id,
            n.bundle,
            n.path.removeprefix("audio/"),
            n.sha256[:16],
            n.aired,
            format_duration(n.played_ms / 1000),
        ]
        for s in report.stations
        for n in sorted(s.national, key=lambda n: (n.bundle, n.path))
    ]
    if not rows:
        return []
    area = area_word([s.area for s in report.stations])
    heads = [w[area], w["station_name"], w["bundle"], w["file"], "sha256"]
    table = Table("national", w["national_title"], [*heads, w["aired"], w["airtime"]], rows)
    return [Sheet(w["sheet_national"], [table])]
