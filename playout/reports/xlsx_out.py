"""The report as an Excel workbook (openpyxl), with a native chart of airings per day."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from playout.reports.data import Report
from playout.reports.tables import Table, all_tables
from playout.reports.text import Words

SHEETS = {
    "vi": {"summary": "Tổng hợp", "daily": "Theo ngày", "not_completed": "Không hoàn thành"},
    "en": {"summary": "Summary", "daily": "By day", "not_completed": "Not completed"},
}


def _put(ws: Worksheet, row: int, col: int, value: str | int, bold: bool = False) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text from schedules and file names is never a formula
    if bold:
        cell.font = Font(bold=True)


def _table(ws: Worksheet, top: int, table: Table) -> int:
    _put(ws, top, 1, table.title, bold=True)
    for col, header in enumerate(table.headers, start=1):
        _put(ws, top + 1, col, header, bold=True)
        ws.cell(row=top + 1, column=col).alignment = Alignment(wrap_text=True)
    for r, cells in enumerate(table.rows, start=top + 2):
        for col, value in enumerate(cells, start=1):
            _put(ws, r, col, value)
    return top + 2 + len(table.rows) + 1


def render_xlsx(report: Report, lang: str) -> bytes:
    w = Words(lang)
    names = SHEETS[lang]
    tables = {t.key: t for t in all_tables(report, w)}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = names["summary"]
    header = [
        w["nation"],
        w["motto"],
        "",
        w["title"],
        f"{w['station']}: {report.station_name or report.station_id}",
        w.period(report),
        w.issued(report),
        "",
        w.summary(report),
    ]
    row = 1
    for line in header:
        if line:
            _put(ws, row, 1, line, bold=line in (w["title"], w["nation"]))
        row += 1
    row = _table(ws, row + 1, tables["campaigns"])
    row = _table(ws, row + 1, tables["clips"])
    if report.prepared_by:
        _put(ws, row + 1, 1, w["prepared_by"], bold=True)
        _put(ws, row + 2, 1, report.prepared_by)
    for col in range(1, 13):
        ws.column_dimensions[get_column_letter(col)].width = 16
    ws.column_dimensions["A"].width = 34

    daily = wb.create_sheet(names["daily"])
    end = _table(daily, 1, tables["daily"])
    n_days = len(report.days)
    if report.campaigns and n_days:
        bars = BarChart()
        bars.title = w["chart"]
        bars.y_axis.title = w["aired"]
        targets = LineChart()
        for i, _f in enumerate(report.campaigns):
            aired_col, target_col = 2 + 2 * i, 3 + 2 * i
            bars.add_data(
                Reference(daily, min_col=aired_col, min_row=2, max_row=2 + n_days),
                titles_from_data=True,
            )
            targets.add_data(
                Reference(daily, min_col=target_col, min_row=2, max_row=2 + n_days),
                titles_from_data=True,
            )
        days = Reference(daily, min_col=1, min_row=3, max_row=2 + n_days)
        bars.set_categories(days)
        targets.set_categories(days)
        bars += targets
        bars.width, bars.height = 28, 12
        daily.add_chart(bars, f"A{end + 1}")
    daily.column_dimensions["A"].width = 12

    missing = wb.create_sheet(names["not_completed"])
    _table(missing, 1, tables["not_completed"])
    for letter, width in zip("ABCDEFG", (12, 10, 16, 36, 14, 10, 60), strict=True):
        missing.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
