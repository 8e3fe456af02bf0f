"""The report's tables as plain rows, shared by the CSV, XLSX and HTML renderers."""

from __future__ import annotations

from dataclasses import dataclass

from playout import reasons
from playout.reports.data import Counts, Report
from playout.reports.text import Words, percent
from playout.schedule.types import format_date, format_duration

Cell = str | int


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]


COUNT_COLUMNS = [
    "planned", "aired", "interrupted", "failed", "missed", "skipped", "to_come", "airtime",
]  # fmt: skip


def count_cells(c: Counts) -> list[Cell]:
    """The cells of COUNT_COLUMNS for one campaign or clip."""
    return [
        c.planned,
        c.completed,
        c.interrupted,
        c.failed,
        c.missed,
        c.skipped,
        c.to_come,
        format_duration(c.played_ms / 1000),
    ]


def campaign_table(report: Report, w: Words) -> Table:
    rows: list[list[Cell]] = [
        [
            w.title(f.campaign, f.title),
            *count_cells(f.counts),
            f.days_aired,
            f.days_below,
            f.target,
            percent(f.share, f.target),
        ]
        for f in report.campaigns
    ]
    headers = ["campaign", *COUNT_COLUMNS, "days_aired", "days_below", "target", "share"]
    return Table("campaigns", w["campaigns"], [w[h] for h in headers], rows)


def clip_table(report: Report, w: Words) -> Table:
    rows: list[list[Cell]] = [
        [w.title(f.campaign, f.title), report.clip_titles.get(clip, ""), clip, *count_cells(c)]
        for f in report.campaigns
        for clip, c in sorted(f.clips.items())
    ]
    headers = ["campaign", "clip", "file", *COUNT_COLUMNS]
    return Table("clips", w["clips"], [w[h] for h in headers], rows)


def daily_table(report: Report, w: Words) -> Table:
    """Rows = days; for each campaign two numbers: aired, target."""
    headers = [w["date"]]
    for f in report.campaigns:
        name = w.title(f.campaign, f.title)
        headers += [f"{name}: {w['aired']}", f"{name}: {w['target']}"]
    rows: list[list[Cell]] = []
    for day in report.days:
        row: list[Cell] = [format_date(day)]
        for f in report.campaigns:
            aired, target = report.grid[(day, f.campaign)]
            row += [aired, target]
        rows.append(row)
    return Table("daily", w["daily"], headers, rows)


def not_completed_table(report: Report, w: Words) -> Table:
    titles = {f.campaign: w.title(f.campaign, f.title) for f in report.campaigns}
    rows: list[list[Cell]] = [
        [
            format_date(n.day),
            n.planned_start.strftime("%H:%M:%S"),
            titles.get(n.campaign, n.campaign),
            n.clip,
            w.status(n.status),
            format_duration(n.played_ms / 1000),
            reasons.render(n.reason, w.lang),
        ]
        for n in report.not_completed
    ]
    headers = ["date", "time", "campaign", "clip", "status", "played", "reason"]
    return Table("not_completed", w["not_completed"], [w[h] for h in headers], rows)
