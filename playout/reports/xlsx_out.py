"""A report as an Excel workbook (openpyxl): one worksheet per sheet of the document, text
cells always text (never a formula), native charts."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
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


FIGURE = re.compile(r"[\d:.,%—-]+")  # text that reads as a number: right-aligned like one
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def _table(ws: Worksheet, top: int, table: Table) -> int:
    """The table's title, its header and its rows, every cell boxed (so a number is seen under
    its own header); numbers right, headers centred over their column."""
    _put(ws, top, 1, table.title, bold=True)
    for col, header in enumerate(table.headers, start=1):
        _put(ws, top + 1, col, header, bold=True)
        cell = ws.cell(row=top + 1, column=col)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = BOX
    for r, cells in enumerate(table.rows, start=top + 2):
        for col, value in enumerate(cells, start=1):
            _put(ws, r, col, value)
            cell = ws.cell(row=r, column=col)
            cell.border = BOX
            if isinstance(value, str) and len(value) > MAX_WIDTH - 2:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif isinstance(value, str) and FIGURE.fullmatch(value):
                cell.alignment = Alignment(horizontal="right")  # airtime, a share, a dash
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
    widths = _content_widths(sheet.tables)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    header_row = top + 1
    for table in sheet.tables:  # wrapped headers: their row as tall as their lines
        lines = max((_lines(h, widths.get(c, MIN_WIDTH)) for c, h in enumerate(table.headers, 1)),
                    default=1)  # fmt: skip
        ws.row_dimensions[header_row].height = 15 * lines
        header_row += 2 + len(table.rows) + 1
    return row


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped at word boundaries in a column ``width`` wide."""
    room = max(1, int(width) - 2)
    lines, used = 1, 0
    for word in text.split():
        need = len(word) if used == 0 else used + 1 + len(word)
        if need <= room or used == 0:
            used = need
        else:
            lines, used = lines + 1, len(word)
    return lines


SIGNATURE_ROWS = 6
# the printed page, in points: A4 landscape less the margins (see _print_setup) and the
# repeated header row; a row taken as 15 pt (LibreOffice's are 12.8 pt: the estimate errs
# towards an early break, never a split)
PAGE_W, PAGE_H, ROW_H, HEADER_ROW_H = 842 - 2 * 0.4 * 72, 595 - 2 * 0.75 * 72, 15.0, 60.0


def _rows_per_page(ws: Worksheet) -> int:
    """How many rows a printed page of this sheet holds at the scale that fits its width."""
    chars = sum(d.width or 8.43 for d in ws.column_dimensions.values())
    width = chars * 5.25 + 3.75 * len(ws.column_dimensions)  # a character of Calibri 11
    scale = min(1.0, PAGE_W / width) if width else 1.0
    return max(10, int((PAGE_H - HEADER_ROW_H * scale) / (ROW_H * scale)))


def _signatures(ws: Worksheet, doc: Document, top: int, columns: int) -> None:
    """The two signature blocks side by side; moved to the next page when they would be split
    by a page break (a signed page holds the whole block)."""
    per_page = _rows_per_page(ws)
    first_page, last_page = (top - 1) // per_page, (top + SIGNATURE_ROWS - 1) // per_page
    if first_page != last_page:
        ws.row_breaks.append(Break(id=top - 1))
    w = doc.w
    head = max(3, columns // 2 + 1)  # the head's block over the right half of the table
    titles = (doc.signers[0] or w["prepared_by"], doc.signers[1] or w["head"])
    for col, title, name in ((1, titles[0], doc.prepared_by), (head, titles[1], doc.head_name)):
        _put(ws, top + 1, col, title, bold=True)
        _put(ws, top + 2, col, w["sign"])
        _put(ws, top + 5, col, name, bold=True)


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
            _signatures(first, doc, end + 1, max((len(t.headers) for t in sheet.tables), default=2))
        else:
            _sheet(wb.create_sheet(sheet.name), sheet, 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
