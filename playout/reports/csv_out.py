"""A report as CSV: UTF-8 with a BOM (Excel then shows Vietnamese), tables one after another."""

from __future__ import annotations

import csv
import io

from playout.reports.document import Document
from playout.reports.text import safe


def render_csv(doc: Document) -> bytes:
    w = doc.w
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def row(cells: list[str | int]) -> None:
        writer.writerow([safe(c) if isinstance(c, str) else c for c in cells])

    for line in (doc.title, doc.subject, doc.period, doc.issued, doc.summary):
        if line:
            row([line])
    for table in doc.tables:
        writer.writerow([])
        row([table.title])
        row(list(table.headers))
        for cells in table.rows:
            row(cells)
    if doc.prepared_by:
        writer.writerow([])
        row([f"{w['prepared_by']}: {doc.prepared_by}"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
