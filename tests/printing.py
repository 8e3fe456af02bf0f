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
from playout.reports.tables import Table
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
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def x(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Printed:
    pages: int
    page_sizes: set[tuple[int, int]]  # points, rounded
    layout: str  # pdftotext -layout
    boxes: list[Word]
    widths: list[float]  # of each page
    heights: list[float]

    @property
    def lines(self) -> list[str]:
        return self.layout.splitlines()

    @property
    def words(self) -> list[tuple[int, str, float, float]]:
        return [(w.page, w.text, w.x0, w.x1) for w in self.boxes]

    def missing(self, document: Document) -> list[str]:
        """Words of the document's tables (headers and cells) that are not on paper: a table
        wider than the page loses its right-hand columns (Chromium drops what does not fit;
        LibreOffice cuts a cell's text at the next cell)."""
        on_paper = "".join(w.text for w in self.boxes)  # a word may wrap inside a cell
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
        """Words that run past an edge of their page."""
        return [
            w.text
            for w in self.boxes
            if w.x0 < 0 or w.y0 < 0 or w.x1 > self.widths[w.page] + 0.5
            or w.y1 > self.heights[w.page] + 0.5
        ]  # fmt: skip

    def overlaps(self, tolerance: float = 1.0) -> list[tuple[str, str]]:
        """Pairs of words printed over each other: on the same line (their boxes share more
        than half their height) and more than ``tolerance`` points across. Boxes of
        consecutive lines may touch: their fonts' ascent and descent are in the boxes."""
        found = []
        for page in range(self.pages):
            words = sorted((w for w in self.boxes if w.page == page), key=lambda w: w.y0)
            for i, a in enumerate(words):
                for b in words[i + 1 :]:
                    if b.y0 >= a.y1:
                        break
                    dx = min(a.x1, b.x1) - max(a.x0, b.x0)
                    dy = min(a.y1, b.y1) - max(a.y0, b.y0)
                    if dx > tolerance and dy > 0.5 * min(a.y1 - a.y0, b.y1 - b.y0):
                        found.append((a.text, b.text))
        return found

    def page_of(self, phrase: str) -> list[int]:
        """The pages on which ``phrase`` is printed (its words in a row, case ignored)."""
        wanted = [p.casefold() for p in phrase.split()]
        pages = []
        for page in range(self.pages):
            words = [w.text.casefold() for w in self.boxes if w.page == page]
            if any(words[i : i + len(wanted)] == wanted for i in range(len(words))):
                pages.append(page)
        return pages

    def misplaced_numbers(self, table: Table) -> tuple[int, list[str]]:
        """Each number of ``table`` printed inside its header's column (between the middles of
        the gaps to the neighbouring headers), on the line of its row; returns how many rows
        were found and checked, and what was not where it belongs."""
        problems: list[str] = []
        checked = 0
        for page in range(self.pages):
            words = [w for w in self.boxes if w.page == page]
            first_cell = str(table.rows[0][0]) if table.rows else ""
            spans = _header_spans(words, table.headers, first_cell)
            if spans is None:
                continue
            for row in table.rows:
                first = str(row[0]).split()
                line = _row_line(words, first, spans[0])
                if line is None:
                    continue
                checked += 1
                for col, value in enumerate(row):
                    if not isinstance(value, int):
                        continue
                    lo, hi = spans[col]
                    if not any(w.text == str(value) and lo <= w.x <= hi for w in line):
                        problems.append(f"{row[0]}: {value} not under {table.headers[col]!r}")
        return checked, problems


def _header_spans(
    words: list[Word], headers: list[str], first_cell: str
) -> list[tuple[float, float]] | None:
    """The x-span of each header's column: the headers' first words are found in order, left
    to right; every word of the header row (which may wrap onto several lines, down to the
    first row of the table) goes to the nearest header that has it; each column reaches the
    middle of the gap to the next header."""
    firsts = [h.split()[0] for h in headers]
    top_word = first_cell.split()[0] if first_cell.split() else ""
    for start in (w for w in words if w.text == firsts[0]):
        below = [w.y0 for w in words if w.text == top_word and w.y0 > start.y1 - 1]
        bottom = min(below, default=start.y0 + 80)
        band = [w for w in words if start.y0 - 40 <= w.y0 < bottom]  # headers centred
        anchors: list[Word] = []
        x = -1.0
        for first in firsts:
            cands = sorted((w for w in band if w.text == first and w.x0 > x), key=lambda w: w.x0)
            if not cands:
                break
            anchors.append(cands[0])
            x = cands[0].x1
        if len(anchors) != len(headers):
            continue
        boxes = [[a.x0, a.x1] for a in anchors]
        top = min(a.y0 for a in anchors) - 1  # the header row's first line
        for w in (w for w in band if w.y0 >= top):
            owners = [i for i, h in enumerate(headers) if w.text in h.split()]
            if owners:
                i = min(owners, key=lambda i: abs(w.x - anchors[i].x))
                boxes[i][0], boxes[i][1] = min(boxes[i][0], w.x0), max(boxes[i][1], w.x1)
        spans = []
        for i, (lo, hi) in enumerate(boxes):
            left = (boxes[i - 1][1] + lo) / 2 if i else 0.0
            right = (hi + boxes[i + 1][0]) / 2 if i + 1 < len(boxes) else 1e9
            spans.append((left, right))
        return spans
    return None


def _row_line(words: list[Word], first: list[str], span: tuple[float, float]) -> list[Word] | None:
    """The words on the printed line whose first column holds the row's first cell (or, when
    that cell wraps onto more lines, its first part)."""
    partial = None
    for w in words:
        if w.text != first[0] or not span[0] <= w.x <= span[1]:
            continue
        line = [v for v in words if abs((v.y0 + v.y1) / 2 - (w.y0 + w.y1) / 2) < 2.5]
        cell = [v.text for v in sorted(line, key=lambda v: v.x0) if span[0] <= v.x <= span[1]]
        if cell == first:
            return line
        if partial is None and 0 < len(cell) < len(first) and cell == first[: len(cell)]:
            below = sorted(
                (v for v in words if w.y0 + 2 < v.y0 <= w.y1 + 4 and span[0] <= v.x <= span[1]),
                key=lambda v: v.x0,
            )
            if [v.text for v in below] == first[len(cell) :]:  # the rest on the next line
                partial = line
    return partial


NUMBER = r"([-\d.]+)"
WORD = re.compile(
    f'<word xMin="{NUMBER}" yMin="{NUMBER}" xMax="{NUMBER}" yMax="{NUMBER}">(.*?)</word>'
)


def read_pdf(pdf: Path) -> Printed:
    layout = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    widths, heights, sizes, words = [], [], set(), []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boxes, re.S):
        width, height = float(page[1]), float(page[2])
        widths.append(width)
        heights.append(height)
        sizes.add((round(width), round(height)))
        for w in re.finditer(WORD, page[3]):
            words.append(
                Word(len(widths) - 1, html.unescape(w[5]), float(w[1]), float(w[2]),
                     float(w[3]), float(w[4]))
            )  # fmt: skip
    return Printed(len(widths), sizes, layout, words, widths, heights)


def keep(pdf: Path, name: str) -> None:
    """The PDF and its pages as PNG (pdftoppm) in test-artifacts/, to look at."""
    out = Path("test-artifacts")
    out.mkdir(exist_ok=True)
    shutil.copy(pdf, out / f"{name}.pdf")
    subprocess.run(
        ["pdftoppm", "-r", "70", "-png", str(pdf), str(out / name)], check=True, timeout=120
    )


A4_LANDSCAPE = {(842, 595), (843, 596)}
A4_PORTRAIT = {(595, 842), (596, 843)}
