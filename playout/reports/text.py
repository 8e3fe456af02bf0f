"""Words and formats of the report, in Vietnamese (default; from the message catalogue) and
English."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Protocol

from playout.i18n import table
from playout.reports.data import Report
from playout.schedule.types import format_date

LANGS = ("vi", "en")

# The report's words in English; the Vietnamese are in the message catalogue
# (playout/locale/vi.po, context "report:<key>").
ENGLISH: dict[str, str] = {
    "title": "AIRTIME REPORT",
    "nation": "SOCIALIST REPUBLIC OF VIET NAM",
    "motto": "Independence - Freedom - Happiness",
    "station": "Station",
    "campaigns": "Summary by campaign",
    "clips": "Detail by clip",
    "daily": "Day by day (aired / target)",
    "not_completed": "Airings not completed",
    "chart": "Airings per day against the target",
    "campaign": "Campaign",
    "clip": "Clip",
    "file": "File",
    "planned": "Planned",
    "aired": "Aired",
    "interrupted": "Interrupted",
    "failed": "Failed",
    "missed": "Missed",
    "skipped": "Skipped",
    "to_come": "Still to come",
    "playing": "Playing",
    "airtime": "Airtime",
    "days_aired": "Days aired",
    "days_below": "Days below target",
    "target": "Target",
    "share": "Target met",
    "date": "Date",
    "time": "Time",
    "status": "Status",
    "played": "Played",
    "reason": "Reason",
    "none": "None.",
    "prepared_by": "Prepared by",
    "head": "Head of the station",
    "sign": "(signature and full name)",
    "total": "Total",
    "summary": "{aired} airings, {items} items, {airtime} in total",
    "completed": "completed",
    "province_title": "PROVINCE AIRTIME REPORT",
    "department": "DEPARTMENT OF INFORMATION AND COMMUNICATIONS",
    "province_subject": "Broadcasting stations of {where}",
    "by_district": "Summary by district",
    "by_commune": "Summary by commune or ward",
    "by_area": "Summary by area",
    "commune": "Commune or ward",
    "area": "Area",
    "by_campaign": "Summary by campaign",
    "by_station": "Detail by station and campaign",
    "no_data_title": "Stations with no data for the period",
    "no_data": "no data",
    "district": "District",
    "station_name": "Station",
    "stations": "Stations",
    "with_data": "Stations with data",
    "last_contact": "Last contact",
    "never": "never",
    "province_summary": "{stations} stations, {with_data} with data; {aired} airings, "
    "{airtime} in total",
    "head_department": "Director",
    "number": "No. ......../{prefix}",
    "people_committee": "People's Committee of",
    "announcement": "Announcements",
    # the workbook's sheets
    "sheet_summary": "Summary",
    "sheet_clips": "By clip",
    "sheet_daily": "By day",
    "sheet_not_completed": "Not completed",
    "sheet_campaigns": "By campaign",
    "sheet_stations": "By station",
    "sheet_no_data": "No data",
    "sheet_national": "Province clips",
    "national_title": "Clips published by the province, as aired (the exact audio, by sha256)",
    "bundle": "Bundle",
    # durations in words
    "unit_h": "h",
    "unit_min": "min",
    "unit_s": "s",
}


class Dated(Protocol):
    """What the period and issue lines need of a report (station or province)."""

    @property
    def first(self) -> date: ...
    @property
    def last(self) -> date: ...
    @property
    def issued(self) -> date: ...
    @property
    def area(self) -> str: ...
    @property
    def province(self) -> str: ...


class Words:
    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}")
        self.lang = lang
        self.t = table(lang, "report", ENGLISH)
        if lang != "vi":  # the national header belongs to the Vietnamese document
            self.t.update(nation="", motto="")

    def __getitem__(self, key: str) -> str:
        return self.t[key]

    def title(self, campaign: str, title: str) -> str:
        """A campaign's title; the daemon's own campaigns (announcements) in this language."""
        if title == campaign and campaign in ("announcement",):
            return self.t[campaign]
        return title

    def status(self, status: str) -> str:
        return self.t.get(status, status).lower() if self.lang == "vi" else status

    def period(self, report: Dated) -> str:
        first, last = report.first, report.last
        whole_month = first.day == 1 and last == _month_end(first)
        if whole_month:
            if self.lang == "vi":
                return f"Tháng {first.month} năm {first.year}"
            return f"{calendar.month_name[first.month]} {first.year}"
        if self.lang == "vi":
            return f"Từ ngày {format_date(first)} đến ngày {format_date(last)}"
        return f"From {format_date(first)} to {format_date(last)}"

    def issued(self, report: Dated, place: str | None = None) -> str:
        place = place or place_name(report.area) or place_name(report.province)
        d = report.issued
        if self.lang == "vi":
            month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
            text = f"ngày {d.day:02d} tháng {month} năm {d.year}"
            return f"{place}, {text}" if place else text.capitalize()
        return f"{place}, {format_date(d)}" if place else format_date(d)

    def summary(self, report: Report) -> str:
        return self.t["summary"].format(
            aired=report.aired, items=report.items, airtime=self.airtime(report.played_ms)
        )

    def airtime(self, ms: int) -> str:
        """In words, never rounded to zero: "26 giây", "3 phút 5 giây", "2 giờ 10 phút"."""
        seconds = round(ms / 1000)
        if ms > 0 and seconds == 0:
            return f"< 1 {self.t['unit_s']}"
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        units = (self.t["unit_h"], self.t["unit_min"], self.t["unit_s"])
        if hours:
            parts = [(hours, units[0]), (minutes, units[1])]
        elif minutes:
            parts = [(minutes, units[1]), (secs, units[2])]
        else:
            parts = [(secs, units[2])]
        shown = [f"{n} {unit}" for n, unit in parts if n] or [f"0 {units[2]}"]
        return " ".join(shown)


_PREFIXES = ("Thành phố ", "Thị xã ", "Huyện ", "Quận ", "Tỉnh ", "Xã ", "Phường ", "Thị trấn ",
             "Đặc khu ")  # fmt: skip
_DISTRICTS = ("huyện ", "quận ", "thị xã ", "thành phố ")  # the level above communes, to 2025
_COMMUNES = ("xã ", "phường ", "thị trấn ", "đặc khu ")  # the level of stations since 2025


def area_word(areas: list[str]) -> str:
    """What the province's areas are, by their names: "district" (2020 data), "commune" (since
    July 2025 communes, wards and special zones form the stations), or "area" when mixed."""
    kinds = set()
    for area in (a.strip().lower() for a in areas if a.strip()):
        if area.startswith(_DISTRICTS):
            kinds.add("district")
        elif area.startswith(_COMMUNES):
            kinds.add("commune")
        else:
            kinds.add("area")
    return kinds.pop() if len(kinds) == 1 else "area"


def place_name(admin: str) -> str:
    """ "Thành phố Tân An" -> "Tân An" (the place in the issue line of a document)."""
    for prefix in _PREFIXES:
        if admin.lower().startswith(prefix.lower()):
            return admin[len(prefix) :].strip()
    return admin.strip()


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def month_bounds(month: int, year: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, _month_end(first)


def percent(share: float, target: int = 1) -> str:
    """The share of the target met; a dash where there was no target (never "100%" of 0)."""
    return f"{share * 100:.0f}%" if target else "—"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(text: str) -> str:
    """Text that a spreadsheet will never read as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
