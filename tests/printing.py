"""Reports printed the way an official prints them: the HTML page by Debian's Chromium, the XLSX
workbook by LibreOffice (headless ``soffice --convert-to pdf``), then read back with poppler's
``pdftotext`` (layout text, and word boxes to see whether anything runs off the page)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from playout.reports.document import Document
from tests.browser import FLAGS


def chromium_pdf(page: Path, pdf: Path) -> Path:
    assert shutil.which("chromium"), "chromium is missing: ./dev setup installs it"
    subprocess.run(
        ["chromium", *FLAGS, f"--user-data-dir={pdf.parent / 'chromium-profile'}",
         "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return pdf


def libreoffice_pdf(document: Path) -> Path:
    """``document`` converted by LibreOffice into a PDF beside it (its own profile folder)."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: ./dev setup installs libreoffice-calc-nogui"
    profile = document.parent / "lo-profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(document.parent), str(document)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = document.with_suffix(".pdf")
    assert pdf.exists(), f"LibreOffice made no PDF of {document.name}"
    return pdf


@dataclass(frozen=True)
class Printed:
    pages: int
    page_sizes: set[tuple[int, int]]  # points, rounded
    layout: str  # pdftotext -layout
    words: list[tuple[int, str, float, float]]  # (page, word, x min, x max)
    widths: list[float]  # of each page

    @property
    def lines(self) -> list[str]:
        return self.layout.splitlines()

    def missing(self, document: Document) -> list[str]:
        """Words of the document's tables (headers and cells) that are not on paper: a table
        wider than the page loses its right-hand columns (Chromium drops what does not fit;
        LibreOffice cuts a cell's text at the next cell)."""
        on_paper = "".join(w for _, w, _, _ in self.words)  # a word may wrap inside a cell
        wanted = {
            word
            for sheet in document.sheets
            for table in sheet.tables
            for row in [table.headers, *table.rows]
            for cell in row
            for word in str(cell).split()
        }
        return sorted(w for w in wanted if w not in on_paper)

    def off_page(self) -> list[str]:
        """Words that run past a page's left or right edge."""
        return [w for page, w, x0, x1 in self.words if x0 < 0 or x1 > self.widths[page] + 0.5]


def read_pdf(pdf: Path) -> Printed:
    layout = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    widths, sizes, words = [], set(), []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boxes, re.S):
        width, height = float(page[1]), float(page[2])
        widths.append(width)
        sizes.add((round(width), round(height)))
        for w in re.finditer(
            r'<word xMin="([-\d.]+)" yMin="[-\d.]+" xMax="([-\d.]+)" yMax="[-\d.]+">(.*?)</word>',
            page[3],
        ):
            words.append((len(widths) - 1, html.unescape(w[3]), float(w[1]), float(w[2])))
    return Printed(len(widths), sizes, layout, words, widths)


A4_LANDSCAPE = {(842, 595), (843, 596)}
A4_PORTRAIT = {(595, 842), (596, 843)}
