"""The reports an official signs, printed as a person prints them and read back from the paper.

Each document is printed twice: its HTML page by Debian's Chromium, its workbook by LibreOffice.
From the words' boxes (``pdftotext -bbox``): no two words printed over each other, none off the
page or cut, every number of the summary tables under its own header, each signature block on
one page, the header whole (the motto never cut). The PDFs and their pages as PNG are kept in
``test-artifacts/``. Cases: the sample station's month, the same with a 90-character agency
name, and a province of 30 stations in 10 areas.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from playout.reports import WRITERS, Document
from playout.reports.data import CampaignFigures, Counts
from playout.reports.province import ProvinceReport, StationFigures, province_document
from playout.reports.station import station_document
from playout.schedule.model import ReportSettings
from playout.store import Database
from tests.printing import Printed, chromium_pdf, keep, libreoffice_pdf, read_pdf
from tests.test_report import make_report, month_log

LONG_AGENCY = (
    "TRUNG TÂM VĂN HÓA, THÔNG TIN VÀ TRUYỀN THANH THÀNH PHỐ TÂN AN, TỈNH LONG AN (CƠ SỞ HAI)"
)
assert len(LONG_AGENCY) >= 85


@pytest.fixture(scope="module")
def month_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db, _ = month_log(tmp_path_factory.mktemp("printed") / "playout.db")
    return db


def station(db: Database, name: str | None = None) -> Document:
    report = make_report(db)
    if name is not None:
        report.station_name = name
    report.settings = ReportSettings(head_name="Trần Thị Bình")
    return station_document(report, "vi")


def province(stations: int = 30, areas: int = 10) -> Document:
    figures = []
    for i in range(stations):
        area = f"Xã Mỹ Thạnh {i % areas + 1}"
        s = StationFigures(
            f"tay-ninh/xa-{i + 1}",
            f"Đài truyền thanh xã số {i + 1}",
            area,
            "Asia/Ho_Chi_Minh",
            datetime(2020, 9, 1, 3, 0, tzinfo=UTC) if i % 7 else None,
        )
        if i % 7:
            for cid, per_day in (("bluezone", 3), ("covid-5k", 2)):
                planned = 31 * per_day
                aired = planned - (i * 3 + per_day) % 17
                s.campaigns.append(
                    CampaignFigures(
                        cid,
                        cid,
                        Counts(
                            planned=planned,
                            completed=aired,
                            missed=planned - aired,
                            played_ms=aired * 61_000,
                        ),
                        target=planned,
                        target_met=aired,
                        days_aired=31,
                        days_below=(i * 5) % 9,
                    )
                )
        figures.append(s)
    report = ProvinceReport(
        "Tây Ninh", "", date(2020, 8, 1), date(2020, 8, 31), date(2020, 9, 5), "Lê Văn Cường",
        figures, agency="SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH",
        settings=ReportSettings(head_title="Giám đốc", head_name="Phạm Minh Đức"),
    )  # fmt: skip
    return province_document(report, "vi")


def printed(doc: Document, fmt: str, tmp: Path, name: str) -> Printed:
    source = tmp / f"{name}.{fmt}"
    source.write_bytes(WRITERS[fmt](doc))
    pdf = chromium_pdf(source, tmp / f"{name}-html.pdf") if fmt == "html" else None
    pdf = pdf or libreoffice_pdf(source)
    keep(pdf, f"{name}-{fmt}")
    return read_pdf(pdf)


def check(paper: Printed, doc: Document, *, summary_rows: int) -> None:
    assert paper.overlaps() == [], "words printed over each other"
    assert paper.off_page() == [], "words off the page"
    assert paper.missing(doc) == [], "words of the tables not on paper (cut)"
    assert paper.page_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") == [0]
    assert paper.page_of("Độc lập - Tự do - Hạnh phúc") == [0], "the motto whole"
    for word in doc.unit.split():  # the agency's name whole, however it wraps
        assert any(w.text.casefold() == word.casefold() and w.page == 0 for w in paper.boxes), word
    # the first sheet's table: every number under its own header
    table = doc.sheets[0].tables[0]
    checked, misplaced = paper.misplaced_numbers(table)
    assert misplaced == []
    assert checked >= summary_rows, f"only {checked} rows of {table.title!r} found on paper"
    # each signature block on one page, its name under its title
    for title, name in zip(doc.signers, (doc.prepared_by, doc.head_name), strict=True):
        pages = paper.page_of(title)
        assert len(pages) == 1, (title, pages)
        if name:
            assert paper.page_of(name) == pages, (title, name)


CASES = ["sample", "long agency", "province of 30", "province of 30 communes",
         "province of 60 communes"]  # fmt: skip


@pytest.mark.parametrize("fmt", ["html", "xlsx"])
@pytest.mark.parametrize("case", CASES)
def test_the_printed_report_reads_right(
    case: str, fmt: str, month_db: Database, tmp_path: Path
) -> None:
    if case == "province of 30":
        doc, rows = province(), 10
    elif case == "province of 30 communes":  # a table that fills the first page
        doc, rows = province(areas=30), 30
    elif case == "province of 60 communes":  # the signatures would fall across a page break
        doc, rows = province(stations=60, areas=60), 40
    else:
        doc = station(month_db, LONG_AGENCY if case == "long agency" else None)
        rows = 2
    paper = printed(doc, fmt, tmp_path, case.replace(" ", "-"))
    check(paper, doc, summary_rows=rows)
