"""The report as CSV: UTF-8 with a BOM (Excel then shows Vietnamese), tables one after another."""

from __future__ import annotations

import csv
import io

from playout.reports.data import Report
from playout.reports.tables import all_tables
from playout.reports.text import Words, safe


def render_csv(report: Report, lang: str) -> bytes:
    w = Words(lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def row(cells: list[str | int]) -> None:
        writer.writerow([safe(c) if isinstance(c, str) else c for c in cells])

    row([w["title"]])
    row([f"{w['station']}: {report.station_name or report.station_id}"])
    row([w.period(report)])
    row([w.issued(report)])
    row([w.summary(report)])
    for table in all_tables(report, w):
        writer.writerow([])
        row([table.title])
        row(list(table.headers))
        for cells in table.rows:
            row(cells)
    if report.prepared_by:
        writer.writerow([])
        row([f"{w['prepared_by']}: {report.prepared_by}"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
