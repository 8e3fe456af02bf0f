"""A report as an Excel workbook (openpyxl): one worksheet per sheet of the document, text
cells always text (never a formula), native charts."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from playout.reports.document import BarChart as ChartSpec
from playout.reports.document import Document, Sheet
from playout.reports.tables import Table


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
            if isinstance(value, str) and len(value) > MAX_WIDTH - 2:
                ws.cell(row=r, column=col).alignment = Alignment(wrap_text=True, vertical="top")
    return top + 2 + len(table.rows) + 1


MIN_WIDTH, MAX_WIDTH = 6, 48  # characters; longer cells wrap


def _content_widths(tables: list[Table]) -> dict[int, float]:
    """Each column's width from what it holds: its longest cell, and its header at most on two
    lines (headers wrap), between MIN_WIDTH and MAX_WIDTH characters."""
    widths: dict[int, float] = {}
    for table in tables:
        for col, header in enumerate(table.headers, start=1):
            longest_word = max((len(word) for word in header.split()), default=0)
            need = max(longest_word, (len(header) + 1) // 2)
            widths[col] = max(widths.get(col, 0), need)
        for cells in table.rows:
            for col, value in enumerate(cells, start=1):
                widths[col] = max(widths.get(col, 0), len(str(value)))
    return {col: min(max(n + 2, MIN_WIDTH), MAX_WIDTH) for col, n in widths.items()}


def _chart(ws: Worksheet, spec: ChartSpec, at_row: int) -> None:
    """Bars and lines over the sheet's first table (its header is row 2, data from row 3)."""
    if not spec.series or not spec.rows:
        return
    bars = BarChart()
    bars.title = spec.title
    bars.y_axis.title = spec.y_title
    lines = LineChart()
    last = 2 + spec.rows
    for bar_col, line_col in spec.series:
        bars.add_data(
            Reference(ws, min_col=bar_col, min_row=2, max_row=last), titles_from_data=True
        )
        lines.add_data(
            Reference(ws, min_col=line_col, min_row=2, max_row=last), titles_from_data=True
        )
    for series in lines.series:  # a mark on each day: visible for a period of one day too
        series.marker.symbol = "dash"
        series.marker.size = 12
    categories = Reference(ws, min_col=1, min_row=3, max_row=last)
    bars.set_categories(categories)
    lines.set_categories(categories)
    bars += lines
    bars.width, bars.height = 28, 12
    ws.add_chart(bars, f"A{at_row}")


def _print_setup(ws: Worksheet, header_row: int | None) -> None:
    """A4 landscape, every column on the page width, the table's header on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    setup = ws.sheet_properties.pageSetUpPr
    if setup is None:
        setup = ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    setup.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"


def _sheet(ws: Worksheet, sheet: Sheet, top: int) -> int:
    row = top
    _print_setup(ws, top + 1 if sheet.tables else None)  # the first table's header
    for table in sheet.tables:
        row = _table(ws, row, table)
    if sheet.chart is not None:
        _chart(ws, sheet.chart, row)
    for col, width in _content_widths(sheet.tables).items():
        ws.column_dimensions[get_column_letter(col)].width = width
    return row


def render_xlsx(doc: Document) -> bytes:
    w = doc.w
    wb = Workbook()
    first = wb.active
    assert first is not None
    header = [
        doc.above.upper(),
        doc.unit.upper(),
        doc.number,
        "",
        w["nation"],
        w["motto"],
        "",
        doc.title,
        doc.subject,
        doc.period,
        doc.issued,
        "",
        doc.summary,
    ]
    row = 1
    for line in header:
        if line:
            _put(first, row, 1, line, bold=line in (doc.title, w["nation"], doc.unit.upper()))
        row += 1
    for index, sheet in enumerate(doc.sheets):
        if index == 0:
            first.title = sheet.name
            end = _sheet(first, sheet, row + 1)
            titles = (doc.signers[0] or w["prepared_by"], doc.signers[1] or w["head"])
            _put(first, end + 1, 1, titles[0], bold=True)
            _put(first, end + 1, 3, titles[1], bold=True)
            _put(first, end + 2, 1, w["sign"])
            _put(first, end + 2, 3, w["sign"])
            _put(first, end + 5, 1, doc.prepared_by)
            _put(first, end + 5, 3, doc.head_name)
        else:
            _sheet(wb.create_sheet(sheet.name), sheet, 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
