"""A report as a document: the administrative header, sheets of tables, charts, signatures.

The station report and the province report are both turned into a :class:`Document`, and the
CSV, XLSX and HTML writers render any document: one design for every report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playout.reports.tables import Table
from playout.reports.text import Words


@dataclass(frozen=True)
class BarChart:
    """A native spreadsheet chart over one table of the sheet: bars and target lines.

    ``series`` are (bars column, line column), 1-based, in the sheet's first table."""

    title: str
    y_title: str
    series: list[tuple[int, int]]
    rows: int


@dataclass(frozen=True)
class Sheet:
    name: str
    tables: list[Table]
    svgs: list[str] = field(default_factory=list)  # HTML charts after the tables
    chart: BarChart | None = None  # XLSX chart under the tables


@dataclass(frozen=True)
class Document:
    w: Words
    above: str  # the level above the unit (province or district), top left
    unit: str  # the unit that issues the report, in capitals under it
    title: str
    subject: str  # e.g. "Đơn vị: ..." under the title
    period: str
    issued: str
    summary: str
    sheets: list[Sheet]
    prepared_by: str
    number: str = ""  # "Số: ......../BC" under the unit
    signers: tuple[str, str] = ("", "")  # the two titles over the signatures
    head_name: str = ""  # the name under the head's signature

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sheets for t in s.tables]
