"""The monthly airtime report: figures from the as-run log, rendered as XLSX, CSV or HTML."""

from __future__ import annotations

from collections.abc import Callable

from playout.reports.csv_out import render_csv
from playout.reports.data import Report, build_report
from playout.reports.document import Document
from playout.reports.html_out import render_html
from playout.reports.station import station_document
from playout.reports.text import LANGS, month_bounds
from playout.reports.xlsx_out import render_xlsx

WRITERS: dict[str, Callable[[Document], bytes]] = {
    "xlsx": render_xlsx,
    "csv": render_csv,
    "html": render_html,
}


def _station(writer: Callable[[Document], bytes]) -> Callable[[Report, str], bytes]:
    return lambda report, lang: writer(station_document(report, lang))


RENDERERS: dict[str, Callable[[Report, str], bytes]] = {
    fmt: _station(writer) for fmt, writer in WRITERS.items()
}

__all__ = [
    "LANGS",
    "RENDERERS",
    "WRITERS",
    "Document",
    "Report",
    "build_report",
    "month_bounds",
]
