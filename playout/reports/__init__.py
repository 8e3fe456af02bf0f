"""The monthly airtime report: figures from the as-run log, rendered as XLSX, CSV or HTML."""

from __future__ import annotations

from collections.abc import Callable

from playout.reports.csv_out import render_csv
from playout.reports.data import Report, build_report
from playout.reports.html_out import render_html
from playout.reports.text import LANGS, month_bounds
from playout.reports.xlsx_out import render_xlsx

RENDERERS: dict[str, Callable[[Report, str], bytes]] = {
    "xlsx": render_xlsx,
    "csv": render_csv,
    "html": render_html,
}

__all__ = ["LANGS", "RENDERERS", "Report", "build_report", "month_bounds"]
